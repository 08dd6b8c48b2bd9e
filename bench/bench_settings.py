"""Django settings for the benchmark, identical for this package and for django-post_office 3.12.

Whichever ``post_office`` the running interpreter imports is the one measured: ``.venv`` has
ours (editable), ``bench/upstream-venv`` has the published 3.12.0. Everything else comes from
the environment that ``bench/compare.py`` sets:

BENCH_DB            ``sqlite`` or ``postgres``
BENCH_DB_NAME       SQLite file path, or PostgreSQL database name (a scratch one per run)
BENCH_SMTP_PORT     port of the aiosmtpd sink (127.0.0.1)
BENCH_BACKEND       ``smtp`` (default) or ``dummy`` (no network: memory/query measurements)
BENCH_BATCH_SIZE, BENCH_THREADS, BENCH_LOG_LEVEL   the POST_OFFICE settings both packages share
"""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False  # True would make Django keep every query in memory
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS: list[str] = []
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "post_office"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

if os.environ.get("BENCH_DB", "sqlite") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": "postgres",
            "NAME": os.environ["BENCH_DB_NAME"],
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BENCH_DB_NAME", "/tmp/post_office_bench.sqlite3"),
            "OPTIONS": {"timeout": 60},
        }
    }

TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True},
]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_FROM_EMAIL = "bench@example.com"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SMTP_PORT", "25"))
EMAIL_TIMEOUT = 30
_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}[os.environ.get("BENCH_BACKEND", "smtp")]
EMAIL_BACKEND = _BACKEND
POST_OFFICE = {
    "BACKENDS": {"default": _BACKEND},
    "BATCH_SIZE": int(os.environ.get("BENCH_BATCH_SIZE", "100")),
    "THREADS_PER_PROCESS": int(os.environ.get("BENCH_THREADS", "5")),
    "LOG_LEVEL": int(os.environ.get("BENCH_LOG_LEVEL", "2")),
    "MESSAGE_ID_ENABLED": True,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"post_office": {"handlers": ["null"], "level": "WARNING", "propagate": False}},
}
