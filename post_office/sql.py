"""Helpers for the hot paths that skip the ORM's per-row work (``send_many``'s insert, the
dispatcher's claim and results write): statements written by hand, instances built from their
rows, text made storable. The ORM does the same at a cost per row or per value that those paths
pay thousands of times a second.

Each statement still goes through a Django cursor wrapper, so it is counted, logged, wrapped by
``execute_wrapper`` hooks and has its errors turned into ``django.db`` errors like any query.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar

from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)


def storable_text(text: str) -> str:
    """``text`` with what a database refuses or mangles written as escapes: a NUL (PostgreSQL
    refuses it in text, SQLite's JSON functions end the string there) and a lone surrogate
    (``surrogateescape``, not UTF-8). For texts that come from outside, like a server's reply."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


# Errors with which a database aborts one of two transactions waiting for each other's row locks
# (a deadlock), or one that could not be serialised: the aborted one may simply run again.
_LOCK_CONFLICT_SQLSTATES = {"40P01", "40001"}  # PostgreSQL: deadlock_detected, serialization_failure
_LOCK_CONFLICT_MYSQL_CODES = {1213, 1205}  # ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT


def lost_a_lock_conflict(exc: BaseException) -> bool:
    """Whether the database aborted the transaction of ``exc`` (a ``django.db`` error) to end a
    lock conflict with another transaction, so that running it again may succeed."""
    cause = exc.__cause__
    if cause is None:
        return False
    code = cause.args[0] if cause.args else None
    if isinstance(code, int):  # MySQL drivers: the server's error number (a lock wait timeout's SQLSTATE is HY000)
        return code in _LOCK_CONFLICT_MYSQL_CODES
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)  # psycopg 3, psycopg2
    return sqlstate in _LOCK_CONFLICT_SQLSTATES


def psycopg3() -> bool:
    """True when PostgreSQL is reached through psycopg 3 (only call it for PostgreSQL)."""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3  # only importable with a driver

    return is_psycopg3


def binary_cursor(connection) -> tuple[Any, str]:
    """A cursor sending parameters apart from the SQL, in binary, and its placeholder.

    Django's psycopg 3 cursors bind client-side: psycopg parses the statement for placeholders
    and quotes every value, array elements included, into the SQL text in Python (~25 µs per
    email for a 10,000-row insert, ~2 ms for a 100-row results write). Binary binding is done
    in C. Wrapped like ``connection.cursor()`` wraps its cursors.
    """
    if not psycopg3():
        return connection.cursor(), "%s"
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    return wrapped, "%b"


def array_parameters(connection, fields: list[Field], placeholder: str) -> str:
    """``(%b)::integer[], (%b)::text[], ...``: one typed array parameter per field, for
    ``UNNEST(...)`` on PostgreSQL (the statement stays the same length whatever the row count)."""
    return ", ".join(f"({placeholder})::{field.db_type(connection).split('(')[0]}[]" for field in fields)


def variable_limit(connection) -> int:
    """SQLite's real limit on parameters per statement (32,766 since 3.32). Django assumes the
    999 of older builds: 100 emails would take two INSERTs and a BEGIN/COMMIT instead of one."""
    import sqlite3  # only here: a PostgreSQL-only Python may lack it

    connection.ensure_connection()
    getlimit = getattr(connection.connection, "getlimit", None)  # Python >= 3.11
    return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit is not None else 0


def loaded_instances(model: type[M], using: str, attnames: list[str], rows: Iterable[tuple]) -> list[M]:
    """Instances of ``model`` from rows of attribute values (database values already converted),
    as ``model.from_db`` builds them. ``attnames`` must be in ``_meta.concrete_fields`` order, as
    ``from_db`` reads a full row by position.

    When ``Model.__init__`` would only store each value (no ``pre_init``/``post_init`` receiver,
    no custom ``__init__`` or ``from_db``, no field attribute with a descriptor of its own),
    the values go straight into ``__dict__``: the same instance for a fraction of the cost
    (~7 µs per email). Otherwise ``from_db`` builds each one.
    """
    if not _stores_plainly(model, tuple(attnames)) or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return [model.from_db(using, attnames, list(values)) for values in rows]
    instances = []
    new, state_class = model.__new__, ModelState
    for values in rows:
        instance = new(model)
        state = instance._state = state_class()
        state.adding, state.db = False, using
        instance.__dict__.update(zip(attnames, values, strict=True))
        instances.append(instance)
    return instances


# The class attributes Django gives plain fields and foreign keys' ``*_id``: on a new instance,
# setting one through them stores the value and nothing else.
_PLAIN_ATTRIBUTES = (DeferredAttribute, ForeignKeyDeferredAttribute)


@cache
def _stores_plainly(model: type[Model], attnames: tuple[str, ...]) -> bool:
    return (model.__init__ is Model.__init__ and model.from_db.__func__ is Model.from_db.__func__
            and all(type(inspect.getattr_static(model, name, None)) in _PLAIN_ATTRIBUTES for name in attnames))
