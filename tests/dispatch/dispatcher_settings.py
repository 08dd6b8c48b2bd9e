"""Settings for dispatcher subprocesses started by tests: the test settings, pointed at the test
database (pytest-django's name differs from ``NAME``) and at an SMTP sink, via the environment.

DISPATCH_DB_NAME (required), DISPATCH_EMAIL_PORT (required), DISPATCH_POST_OFFICE (JSON merged
into POST_OFFICE), DISPATCH_MEDIA_ROOT (optional: the test process's MEDIA_ROOT, for attachments).
"""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, MEDIA_ROOT

DATABASES["default"]["NAME"] = os.environ["DISPATCH_DB_NAME"]
MEDIA_ROOT = os.environ.get("DISPATCH_MEDIA_ROOT", MEDIA_ROOT)
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["DISPATCH_EMAIL_PORT"])
EMAIL_TIMEOUT = 30
POST_OFFICE = {
    "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
    "MESSAGE_ID_ENABLED": True,
    **json.loads(os.environ.get("DISPATCH_POST_OFFICE", "{}")),
}
