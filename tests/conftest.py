"""Shared fixtures: a real SMTP sink, SMTP-backed settings, factories."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from tests.support.smtp_sink import SmtpSink

IN_CI = bool(os.environ.get("CI"))


@pytest.fixture
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def smtp_backend(settings, smtp_sink):
    """Deliver through Django's SMTP backend to the sink; returns the sink."""
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_TIMEOUT = 10
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BACKENDS": {
        "default": "django.core.mail.backends.smtp.EmailBackend",
    }}
    return smtp_sink


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("This test needs PostgreSQL (run with POST_OFFICE_TEST_DB=postgres).")
        pytest.skip("needs PostgreSQL (POST_OFFICE_TEST_DB=postgres)")
    return connection
