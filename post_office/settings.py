"""django-post_office's ``get_*()`` helpers, kept as thin wrappers over :mod:`post_office.conf`."""

from __future__ import annotations

import datetime
from typing import Any

import django
import django.core.mail
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.files.storage import Storage, storages
from django.template import engines
from django.utils.module_loading import import_string

from .conf import post_office_settings as conf


def get_config() -> dict[str, Any]:
    return conf.raw


def get_available_backends() -> dict[str, str]:
    return conf.backends


def get_backend_aliases():
    return conf.backends.keys()


def get_backend(alias: str = "default") -> str:
    return conf.backend_path(alias)


def get_default_mailer() -> str:
    return "default"


def get_cache_backend() -> BaseCache | None:
    from .cache import get_cache

    return get_cache()


def get_batch_size() -> int:
    return conf.batch_size


def get_batch_delivery_timeout() -> float:
    return conf.batch_delivery_timeout


def get_celery_enabled() -> bool:
    return conf.celery_enabled


def get_lock_file_name() -> str:
    return conf.lock_file_name


def get_threads_per_process() -> int:
    return conf.threads_per_process


def get_default_priority() -> str:
    return conf.default_priority


def get_log_level() -> int:
    return conf.log_level


def get_sending_order() -> list[str]:
    return conf.sending_order


def get_template_engine():
    return engines[conf.template_engine]


def get_override_recipients() -> list[str] | None:
    return conf.override_recipients


def get_max_retries() -> int:
    return conf.max_retries


def get_retry_timedelta() -> datetime.timedelta:
    return conf.retry_interval


def get_message_id_enabled() -> bool:
    return conf.message_id_enabled


def get_message_id_fqdn() -> str:
    return conf.message_id_fqdn


def get_file_storage() -> Storage:
    return storages[conf.file_storage]


def get_webhook_config(provider: str) -> dict[str, Any]:
    return conf.webhook_config(provider)


def get_context_field_class():
    return import_string(conf.context_field_class)


# Django 6 brings MAILERS (named email configurations); django-post_office exposed these flags.
PRE_DJANGO_6 = django.VERSION < (6, 0)
DJANGO_HAS_MAILERS = hasattr(django.core.mail, "mailers")


def mailers_are_configured() -> bool:
    """True when the project defines Django 6's ``MAILERS`` (never on Django 5.2)."""
    return DJANGO_HAS_MAILERS and bool(getattr(django_settings, "MAILERS", None))


def __getattr__(name: str) -> Any:
    # Module constants upstream computed at import; computed on access here (settings may change).
    if name == "CONTEXT_FIELD_CLASS":
        return conf.context_field_class
    if name == "context_field_class":
        return get_context_field_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [name for name in dir() if name.startswith("get_")] + [
    "caches", "PRE_DJANGO_6", "DJANGO_HAS_MAILERS", "mailers_are_configured",
]
