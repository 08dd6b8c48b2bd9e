"""The EmailTemplate cache: keys ``post_office:template:<name>[:<language>]``.

Uses the ``post_office`` entry of ``CACHES`` when present, else ``default``; off when
``settings.POST_OFFICE_CACHE`` is False. Saving or deleting any template of a family drops the
cached entries of every language of that name (django-post_office dropped only the bare name).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from .conf import post_office_settings

PREFIX = "post_office:template:"


def get_cache() -> BaseCache | None:
    if not post_office_settings.cache_enabled:
        return None
    alias = "post_office" if "post_office" in settings.CACHES else "default"
    if alias not in settings.CACHES:
        return None
    return caches[alias]


def get_cache_key(name: str, language: str = "") -> str:
    key = f"{name}:{language}" if language else name
    # memcached refuses spaces, control characters and keys over 250 bytes.
    if len(key) > 150 or any(ch.isspace() or ord(ch) < 33 for ch in key):
        key = hashlib.sha256(key.encode()).hexdigest()
    return PREFIX + key


def get(name: str, language: str = "") -> Any:
    cache = get_cache()
    return cache.get(get_cache_key(name, language)) if cache else None


def set(name: str, content: Any, language: str = "") -> None:  # noqa: A001 - upstream's name
    cache = get_cache()
    if cache:
        cache.set(get_cache_key(name, language), content)


def delete(name: str, language: str = "") -> None:
    cache = get_cache()
    if cache:
        cache.delete(get_cache_key(name, language))


def invalidate_template(name: str) -> None:
    """Forget ``name`` in every language the project knows, plus the default."""
    cache = get_cache()
    if cache:
        languages = [""] + [code for code, _label in settings.LANGUAGES]
        cache.delete_many([get_cache_key(name, language) for language in languages])


def __getattr__(name: str) -> Any:
    # django-post_office bound ``cache_backend`` at import; resolve it on access instead.
    if name == "cache_backend":
        return get_cache()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
