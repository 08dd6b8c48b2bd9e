"""post_office: queue, render and deliver email from Django."""

from __future__ import annotations

VERSION = (4, 0, 0)
VERSION_STRING = "4.0.0"


def __getattr__(name: str):
    # EMAIL_BACKEND = "post_office.EmailBackend" without importing models at app loading.
    if name == "EmailBackend":
        from .backends import EmailBackend

        return EmailBackend
    raise AttributeError(f"module 'post_office' has no attribute {name!r}")
