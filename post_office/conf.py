"""The one place that reads ``settings.POST_OFFICE``.

Values are read on every access (never at import time), so ``override_settings`` works in tests.
A bad value raises :class:`~post_office.errors.ConfigurationError` naming the exact key.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from .errors import ConfigurationError

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
OWN_BACKEND = "post_office.EmailBackend"
PRIORITY_NAMES = ("low", "medium", "high", "now")


def _expand_backend_path(path: str) -> str:
    # The spec lets users write 'smtp.EmailBackend' for Django's built-in backends.
    if path.count(".") == 1 and not path.startswith("post_office"):
        return f"django.core.mail.backends.{path}"
    return path


class PostOfficeSettings:
    """Typed, documented accessors over ``settings.POST_OFFICE`` (a dict, all keys optional)."""

    @property
    def raw(self) -> dict[str, Any]:
        value = getattr(django_settings, "POST_OFFICE", None) or {}
        if not isinstance(value, dict):
            raise ConfigurationError("POST_OFFICE must be a dict of settings.")
        return value

    def _get(self, key: str, default: Any) -> Any:
        return self.raw.get(key, default)

    def _int(self, key: str, default: int, minimum: int = 0) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigurationError(
                f"POST_OFFICE['{key}'] must be an integer >= {minimum}, got {value!r}."
            )
        return value

    def _seconds(self, key: str, default: float) -> float:
        value = self._get(key, default)
        if isinstance(value, datetime.timedelta):
            value = value.total_seconds()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigurationError(
                f"POST_OFFICE['{key}'] must be a number of seconds or a timedelta, got {value!r}."
            )
        return float(value)

    # --- backends -----------------------------------------------------------------------------
    @property
    def backends(self) -> dict[str, str]:
        """Alias -> dotted path of a Django email backend; always has ``default``."""
        configured = self._get("BACKENDS", None)
        if configured is None:
            fallback = getattr(django_settings, "EMAIL_BACKEND", SMTP_BACKEND)
            # Queuing into ourselves would loop forever: deliver with SMTP instead.
            configured = {"default": SMTP_BACKEND if fallback == OWN_BACKEND else fallback}
        if not isinstance(configured, dict) or "default" not in configured:
            raise ConfigurationError("POST_OFFICE['BACKENDS'] must be a dict with a 'default' alias.")
        backends = {alias: _expand_backend_path(path) for alias, path in configured.items()}
        for alias, path in backends.items():
            if path == OWN_BACKEND:
                raise ConfigurationError(
                    f"POST_OFFICE['BACKENDS']['{alias}'] is post_office.EmailBackend, which would "
                    "queue emails forever; name the backend that really delivers."
                )
        return backends

    def backend_path(self, alias: str = "default") -> str:
        from .errors import UnknownBackendError

        alias = alias or "default"
        try:
            return self.backends[alias]
        except KeyError:
            raise UnknownBackendError(
                f"backend: '{alias}' is not configured in POST_OFFICE['BACKENDS'] "
                f"(known: {', '.join(sorted(self.backends))})."
            ) from None

    # --- dispatch ------------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """Emails a dispatcher claims at a time (default 100)."""
        return self._int("BATCH_SIZE", 100, minimum=1)

    @property
    def batch_delivery_timeout(self) -> float:
        """Seconds a batch may spend delivering before the rest goes back to the queue (180)."""
        return self._seconds("BATCH_DELIVERY_TIMEOUT", 180)

    @property
    def threads_per_process(self) -> int:
        """Delivery threads per dispatcher process, one backend connection each (default 5)."""
        return self._int("THREADS_PER_PROCESS", 5, minimum=1)

    @property
    def lease_duration(self) -> float:
        """Seconds a claim lasts unless renewed; a dead dispatcher's emails return to the queue
        after it. A live dispatcher renews its batch's lease every third of this (default 60 s).
        """
        return self._seconds("LEASE_DURATION", 60)

    @property
    def results_flush_size(self) -> int:
        """Delivered emails recorded per write. Bounds the duplicate window after a crash."""
        return self._int("RESULTS_FLUSH_SIZE", self.batch_size, minimum=1)

    @property
    def sending_order(self) -> list[str]:
        value = self._get("SENDING_ORDER", ["-priority"])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigurationError("POST_OFFICE['SENDING_ORDER'] must be a list of field names.")
        return list(value)

    @property
    def max_retries(self) -> int:
        return self._int("MAX_RETRIES", 0)

    @property
    def retry_interval(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=self._seconds("RETRY_INTERVAL", 15 * 60))

    @property
    def retry_backoff(self) -> float:
        """Multiplier applied per earlier retry (1 = fixed interval, the spec's behaviour)."""
        value = self._get("RETRY_BACKOFF", 1)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1:
            raise ConfigurationError(f"POST_OFFICE['RETRY_BACKOFF'] must be a number >= 1, got {value!r}.")
        return float(value)

    @property
    def retry_jitter(self) -> float:
        """Fraction (0..1) of the retry delay randomised, so failed batches do not retry in lockstep."""
        value = self._get("RETRY_JITTER", 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ConfigurationError(f"POST_OFFICE['RETRY_JITTER'] must be between 0 and 1, got {value!r}.")
        return float(value)

    @property
    def log_level(self) -> int:
        value = self._int("LOG_LEVEL", 2)
        if value > 2:
            raise ConfigurationError(f"POST_OFFICE['LOG_LEVEL'] must be 0, 1 or 2, got {value!r}.")
        return value

    @property
    def celery_enabled(self) -> bool:
        return bool(self._get("CELERY_ENABLED", False))

    @property
    def lock_file_name(self) -> str:
        return self._get("LOCK_FILE_NAME", "post_office")

    # --- creating emails ----------------------------------------------------------------------
    @property
    def default_priority(self) -> str:
        value = self._get("DEFAULT_PRIORITY", "medium")
        if value not in PRIORITY_NAMES:
            raise ConfigurationError(
                f"POST_OFFICE['DEFAULT_PRIORITY'] must be one of {', '.join(PRIORITY_NAMES)}, got {value!r}."
            )
        return value

    @property
    def override_recipients(self) -> list[str] | None:
        value = self._get("OVERRIDE_RECIPIENTS", None)
        if isinstance(value, str):
            value = [value]
        if value is not None and not isinstance(value, (list, tuple)):
            raise ConfigurationError("POST_OFFICE['OVERRIDE_RECIPIENTS'] must be a list of addresses.")
        return list(value) if value else None

    @property
    def message_id_enabled(self) -> bool:
        return bool(self._get("MESSAGE_ID_ENABLED", False))

    @property
    def message_id_fqdn(self) -> str:
        from django.core.mail.utils import DNS_NAME

        return self._get("MESSAGE_ID_FQDN", None) or str(DNS_NAME)

    @property
    def context_field_class(self) -> str:
        """Dotted path of the model field storing ``Email.context``.

        Django's JSONField by default: it is what django-post_office 3.12 created, so upgraded
        databases keep their column type. ``jsonfield.JSONField`` is supported as well.
        """
        return self._get("CONTEXT_FIELD_CLASS", "django.db.models.JSONField")

    @property
    def template_engine(self) -> str:
        return self._get("TEMPLATE_ENGINE", "django")

    @property
    def strict_translations(self) -> bool:
        """Raise instead of falling back to the default template when a translation is missing."""
        return bool(self._get("STRICT_TRANSLATIONS", False))

    @property
    def file_storage(self) -> str:
        return self._get("FILE_STORAGE", "default")

    @property
    def cache_enabled(self) -> bool:
        return getattr(django_settings, "POST_OFFICE_CACHE", True) is not False

    def webhook_config(self, provider: str) -> dict[str, Any]:
        """``WEBHOOKS[provider]``; the provider key matches case-insensitively ('SES' or 'ses')."""
        value = self._get("WEBHOOKS", {}) or {}
        if not isinstance(value, dict):
            raise ConfigurationError("POST_OFFICE['WEBHOOKS'] must be a dict of provider name -> settings.")
        matches = [key for key in value if str(key).lower() == provider.lower()]
        config = value[matches[0]] if matches else {}
        if not isinstance(config or {}, dict):
            raise ConfigurationError(f"POST_OFFICE['WEBHOOKS']['{matches[0]}'] must be a dict.")
        return dict(config or {})

    @property
    def suppress_bounced(self) -> bool:
        """Fail, at delivery, emails to addresses that hard-bounced or complained (default off)."""
        return bool(self._get("SUPPRESS_BOUNCED", False))

    # --- statistics ----------------------------------------------------------------------------
    @property
    def stats_enabled(self) -> bool:
        """Keep the dashboard's per-minute counters up to date while dispatching (default on)."""
        return bool(self._get("STATS_ENABLED", True))

    @property
    def metrics_token(self) -> str | None:
        """Bearer token accepted by the Prometheus metrics view; without it, staff only."""
        value = self._get("METRICS_TOKEN", None)
        if value is not None and (not isinstance(value, str) or len(value) < 16):
            raise ConfigurationError("POST_OFFICE['METRICS_TOKEN'] must be a string of at least 16 characters.")
        return value or None

    def import_class(self, key: str, path: str) -> Any:
        try:
            return import_string(path)
        except ImportError as exc:
            raise ConfigurationError(f"POST_OFFICE['{key}']: cannot import {path!r} ({exc}).") from exc


post_office_settings = PostOfficeSettings()
