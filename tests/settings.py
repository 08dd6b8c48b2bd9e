"""Settings for the test suite. ``POST_OFFICE_TEST_DB=postgres`` runs it on PostgreSQL,
``POST_OFFICE_TEST_DB=mariadb`` on MariaDB/MySQL."""

from __future__ import annotations

import os
import tempfile
import uuid

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
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
_RUN_ID = uuid.uuid4().hex[:8]
if os.environ.get("POST_OFFICE_TEST_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": "postgres",
            "NAME": "test",
            # A unique database per run, so two runs on one server never collide.
            "TEST": {"NAME": f"test_post_office_{_RUN_ID}"},
        }
    }
elif os.environ.get("POST_OFFICE_TEST_DB") == "mariadb":
    import pymysql  # the pure-Python driver, standing in for mysqlclient (no C client headers needed)

    pymysql.install_as_MySQLdb()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "HOST": "127.0.0.1",
            "PORT": "3306",
            "USER": "root",
            "NAME": "test",
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": f"test_post_office_{_RUN_ID}", "CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.gettempdir(), f"post_office_{_RUN_ID}.sqlite3"),
            # A file, not :memory:, so dispatcher subprocesses see the same database.
            "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"test_post_office_{_RUN_ID}.sqlite3")},
            "OPTIONS": {"timeout": 30},
        }
    }

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
    {
        "BACKEND": "post_office.template.backends.post_office.PostOfficeTemplates",
        "APP_DIRS": True,
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "OPTIONS": {"context_processors": []},
    },
]
STATIC_URL = "/static/"
STATICFILES_DIRS = [os.path.join(BASE_DIR, "static")]
MEDIA_ROOT = os.path.join(tempfile.gettempdir(), f"post_office_media_{_RUN_ID}")
LANGUAGES = [("en", "English"), ("id", "Indonesian"), ("de", "German")]
LANGUAGE_CODE = "en"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "webmaster@example.com"
POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend"}}
