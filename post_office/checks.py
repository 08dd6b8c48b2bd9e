"""System checks: a bad ``POST_OFFICE`` setting fails at start-up, not at the first send."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.template import engines
from django.utils.module_loading import import_string

from .conf import post_office_settings
from .errors import ConfigurationError

_VALIDATED = (
    "backends", "batch_size", "batch_delivery_timeout", "threads_per_process", "lease_duration",
    "results_flush_size", "sending_order", "max_retries", "retry_interval", "retry_backoff",
    "retry_jitter", "log_level", "default_priority", "override_recipients",
)


@checks.register()
def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for name in _VALIDATED:
        try:
            getattr(post_office_settings, name)
        except ConfigurationError as exc:
            errors.append(checks.Error(str(exc), id="post_office.E001"))
    try:
        backends = post_office_settings.backends
    except ConfigurationError:
        backends = {}
    for alias, path in backends.items():
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(checks.Error(
                f"POST_OFFICE['BACKENDS']['{alias}']: cannot import {path!r} ({exc}).", id="post_office.E002"
            ))
    engine = post_office_settings.template_engine
    try:
        engines[engine]
    except Exception:  # noqa: BLE001 - InvalidTemplateEngineError or a broken TEMPLATES entry
        errors.append(checks.Error(
            f"POST_OFFICE['TEMPLATE_ENGINE'] is {engine!r}, but settings.TEMPLATES has no such engine.",
            hint="Add the PostOfficeTemplates backend to TEMPLATES (see the README, Inlined Images).",
            id="post_office.E003",
        ))
    return errors


@checks.register()
def check_webhooks(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """SES signature checks need ``cryptography``; test-only trust must not reach production."""
    messages: list[checks.CheckMessage] = []
    try:
        ses = post_office_settings.webhook_config("ses")
    except ConfigurationError as exc:
        return [checks.Error(str(exc), id="post_office.E001")]
    if not ses:
        return messages
    if ses.get("VERIFY_SIGNATURE", True):
        try:
            import cryptography  # noqa: F401
        except ImportError:
            messages.append(checks.Error(
                "POST_OFFICE['WEBHOOKS']['SES']['VERIFY_SIGNATURE'] needs the 'cryptography' package.",
                hint="pip install 'post_office[ses]'", id="post_office.E004",
            ))
    if ses.get("TEST_SNS_HOSTS") and not settings.DEBUG:
        messages.append(checks.Warning(
            "POST_OFFICE['WEBHOOKS']['SES']['TEST_SNS_HOSTS'] trusts extra hosts for SNS certificates; "
            "it is meant for test suites only.", id="post_office.W001",
        ))
    return messages
