"""Shared fixtures: a real SMTP sink, SMTP-backed settings, factories."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.support.services import require
from tests.support.smtp_sink import SmtpSink


@pytest.fixture(autouse=True)
def _clear_caches():
    """Templates are cached in a process-wide LocMemCache: a row cached by one test (then flushed)
    must not leak into the next."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        cache.clear()
    yield


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


def _on(vendor: str, name: str, setting: str):
    """The connection, when the test database is ``vendor``'s; else fail under CI, skip elsewhere."""
    require(connection.vendor == vendor, f"{name} (run with POST_OFFICE_TEST_DB={setting})")
    return connection


@pytest.fixture
def on_postgres():
    return _on("postgresql", "PostgreSQL", "postgres")


@pytest.fixture
def on_mariadb():
    return _on("mysql", "MariaDB", "mariadb")


@pytest.fixture
def sqlite_variable_limit_999():
    """SQLite built with the historical limit of 999 parameters per statement (Debian builds
    allow 250,000): a statement binding one parameter per value then holds a few hundred rows."""
    import sqlite3

    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    previous = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    yield
    connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, previous)


def pytest_collection_modifyitems(config, items):
    # `make test` leaves tests marked `postgres` (`mariadb`) out of its other passes; a test
    # asking for `on_postgres` (`on_mariadb`) is one, marker or not, so those never fail on it.
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "on_postgres" in fixtures:
            item.add_marker(pytest.mark.postgres)
        if "on_mariadb" in fixtures:
            item.add_marker(pytest.mark.mariadb)


@pytest.fixture(scope="session")
def browser():
    """The one Chromium of this test process (see tests/support/browser.py)."""
    from tests.support.browser import launch

    yield from launch()


@pytest.fixture
def make_staff(db):
    """``make_staff("view_email", "requeue_email")``: an active staff user with those permissions."""
    from django.contrib.auth.models import Permission, User

    counter = iter(range(1000))

    def make(*codenames: str, superuser: bool = False) -> User:
        user = User.objects.create_user(f"staff{next(counter)}", password="pw", is_staff=True,
                                        is_superuser=superuser)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="post_office",
                                                            codename__in=codenames))
        return user

    return make


@pytest.fixture
def client_for(make_staff):
    """A logged-in test client for a staff user with the given permissions."""
    from django.test import Client

    def make(*codenames: str, enforce_csrf_checks: bool = False) -> Client:
        client = Client(enforce_csrf_checks=enforce_csrf_checks)
        client.force_login(make_staff(*codenames))
        return client

    return make
