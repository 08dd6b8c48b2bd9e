"""``sql.loaded_instances``: instances as ``from_db`` builds them, the cheap way only when that is
the same thing. ``sql.lost_a_lock_conflict``: which database errors a write may retry."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection

from post_office.models import STATUS, Email, EmailTemplate
from post_office.sql import _stores_plainly, loaded_instances, lost_a_lock_conflict

ATTNAMES = [f.attname for f in Email._meta.concrete_fields]


@pytest.fixture(autouse=True)
def _fresh_cache():
    _stores_plainly.cache_clear()
    yield
    _stores_plainly.cache_clear()


def _values(pk: int) -> list:
    email = Email(pk=pk, from_email="f@example.com", to=["t@example.com"], subject=f"s{pk}", status=STATUS.queued)
    return [getattr(email, name) for name in ATTNAMES]


def test_plain_models_are_filled_directly_like_from_db():
    assert _stores_plainly(Email, tuple(ATTNAMES))

    [built] = loaded_instances(Email, connection.alias, ATTNAMES, [_values(7)])

    expected = Email.from_db(connection.alias, ATTNAMES, _values(7))
    assert {n: getattr(built, n) for n in ATTNAMES} == {n: getattr(expected, n) for n in ATTNAMES}
    assert built._state.adding is False and built._state.db == connection.alias


def test_a_custom_from_db_is_honoured():
    attnames = tuple(f.attname for f in EmailTemplate._meta.concrete_fields)
    assert EmailTemplate.from_db.__func__ is not Email.from_db.__func__  # it overrides from_db
    assert not _stores_plainly(EmailTemplate, attnames)


def test_a_field_attribute_with_its_own_setter_is_honoured(monkeypatch):
    seen = []

    class Recording:
        def __get__(self, instance, owner):
            return self if instance is None else instance.__dict__["subject"]

        def __set__(self, instance, value):
            seen.append(value)
            instance.__dict__["subject"] = value

    monkeypatch.setattr(Email, "subject", Recording())
    assert not _stores_plainly(Email, tuple(ATTNAMES))

    values = _values(3)
    seen.clear()
    [built] = loaded_instances(Email, connection.alias, ATTNAMES, [values])

    assert built.subject == "s3" and seen == ["s3"]  # built through __init__, so through the setter


def _django_error(cause: BaseException) -> OperationalError:
    """A ``django.db`` error as Django raises it: the driver's error as its cause."""
    error = OperationalError(*cause.args)
    error.__cause__ = cause
    return error


def test_lock_conflicts_are_told_apart_from_other_database_errors():
    import psycopg.errors
    import pymysql.err

    timeout = pymysql.err.OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction")
    timeout.sqlstate = "HY000"  # as PyMySQL sets it from the server's reply
    conflicts = [psycopg.errors.DeadlockDetected("deadlock detected"),
                 psycopg.errors.SerializationFailure("could not serialize access"),
                 pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock"), timeout]
    others = [psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
              psycopg.errors.AdminShutdown("terminating connection"),
              pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"),
              RuntimeError("no driver error at all")]

    assert [lost_a_lock_conflict(_django_error(cause)) for cause in conflicts] == [True] * 4
    assert [lost_a_lock_conflict(_django_error(cause)) for cause in others] == [False] * 4
    assert not lost_a_lock_conflict(OperationalError("no cause"))
