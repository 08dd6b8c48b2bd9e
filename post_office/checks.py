"""System checks: a bad ``POST_OFFICE`` setting fails at start-up, not at the first send."""

from __future__ import annotations

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
