"""The example project: SQLite by default; environment variables switch the real parts.

DEMO_DB=postgres (with DEMO_DB_NAME) uses PostgreSQL at 127.0.0.1:5432; DEMO_SQLITE_PATH moves the
SQLite file; CELERY_BROKER_URL picks the broker (default Redis at 127.0.0.1:6379) and DEMO_CELERY=1
turns on CELERY_ENABLED; DEMO_EMAIL_PORT sends through an SMTP server on 127.0.0.1 instead of
writing files to demo/mail/.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
SECRET_KEY = os.environ.get("DEMO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DEMO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "import_export",
    "post_office",
    "demo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

if os.environ.get("DEMO_DB") == "postgres":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1", "PORT": "5432",
        "USER": "postgres", "NAME": os.environ.get("DEMO_DB_NAME", "test"),
    }}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {"timeout": 30},
    }}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    },
    {
        "BACKEND": "post_office.template.backends.post_office.PostOfficeTemplates",
        "DIRS": [REPO_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.i18n",
            "django.template.context_processors.static",
            "django.template.context_processors.tz",
        ]},
    },
]

STATIC_URL = "/static/"
STATICFILES_DIRS = [REPO_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia"), ("de", "Deutsch"), ("fr", "Français")]
DEFAULT_FROM_EMAIL = "Post Office Demo <demo@example.com>"

# Mail leaves through post_office's queue; the queue delivers with the backend below.
EMAIL_BACKEND = "post_office.EmailBackend"
if os.environ.get("DEMO_EMAIL_PORT"):
    _delivery = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["DEMO_EMAIL_PORT"])
else:
    _delivery = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / "mail"

POST_OFFICE = {
    # Three aliases so the console has per-backend numbers to show; all deliver the same way here.
    "BACKENDS": {"default": _delivery, "transactional": _delivery, "bulk": _delivery},
    "TEMPLATE_ENGINE": "post_office",
    "MESSAGE_ID_ENABLED": True,
    "MESSAGE_ID_FQDN": "demo.example.com",
    "MAX_RETRIES": 3,
    "CELERY_ENABLED": os.environ.get("DEMO_CELERY", "0") == "1",
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    # The periodic safety net: retries and anything queued while no worker ran.
    "send-queued-mail": {"task": "post_office.tasks.send_queued_mail", "schedule": 600.0},
    "cleanup-mail": {"task": "post_office.tasks.cleanup_mail", "schedule": 7 * 24 * 3600.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"post_office": {"handlers": ["console"], "level": "INFO"}},
}

UNFOLD = {
    "SITE_TITLE": "Post Office",
    "SITE_HEADER": "Post Office",
}
