"""Insert many new Emails in a few statements (``mail.send_many``): ``COPY`` on PostgreSQL with
psycopg 3, fed while the rows are still being checked and prepared, multi-row
``INSERT ... RETURNING id`` elsewhere.

``bulk_create`` costs ~100 µs per email in instances, per-value field preparation and SQL
assembly. Here each column's values are prepared in one pass (a value object seen before reuses
its prepared form), columns that are NULL in every row are left out (fewer parameters, so more
rows per statement under SQLite's limit), and the instances are built afterwards like rows
loaded from the database. Used only where the stored rows are the same as ``bulk_create``'s:
PostgreSQL and SQLite, and field classes whose preparation is known; anything else (a
``CONTEXT_FIELD_CLASS`` other than Django's JSONField, a field added by a subclass of ours, ...)
goes through ``bulk_create``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from functools import partial
from itertools import chain, islice
from types import NoneType
from typing import Any, NamedTuple

from django.db import connections, router, transaction
from django.db.models import (
    NOT_PROVIDED,
    AutoField,
    BigAutoField,
    CharField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    JSONField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallAutoField,
    TextField,
)
from django.utils import timezone

from .fields import CommaSeparatedEmailField
from .models import Email
from .sql import array_parameters, binary_cursor, loaded_instances, psycopg3, variable_limit

# Exact classes (never subclasses: those may prepare values their own way) whose values of the
# given type reach the database unchanged, as their get_db_prep_save would leave them.
_AS_IS: dict[type[Field], type] = {
    CharField: str, TextField: str, IntegerField: int, PositiveIntegerField: int, PositiveSmallIntegerField: int,
}
# Exact classes prepared with their own get_db_prep_save (None stays NULL for each of them).
_PREPARED = (DateTimeField, JSONField, ForeignKey, CommaSeparatedEmailField)
_PRIMARY_KEYS = (AutoField, BigAutoField, SmallAutoField)
_VENDORS = ("postgresql", "sqlite")
# SQLite gets slower per row beyond ~1,000 rows in one VALUES list (measured: 10,000 rows in
# one statement cost ~25% more than ten of 1,000); the query count stays ~0.1 per 100 emails.
_MOST_ROWS_PER_STATEMENT = 1000
# Rows checked, prepared and sent to a COPY at a time: large enough that per-chunk work is
# negligible, small enough that the server has a chunk to insert while the next is prepared.
_ROWS_PER_COPY_CHUNK = 500


class _Column(NamedTuple):
    field: Field
    as_is: type | None  # values of exactly this type need no preparation
    prepare: Callable[[Any], Any]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building many objects that all stay alive.

    Every 700 new containers (dicts, lists, instances) start a collection, and every tenth of
    those also rescans the older generations, the whole process's objects: for ``send_many`` that
    found nothing to free (every row and instance is kept until the INSERT) and took a fifth of
    the time for 10,000 emails. Reference counting still frees what is dropped meanwhile; a
    reference cycle made meanwhile waits for the next collection after. The collector is left
    as it was found, also when the body raises.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def insert_emails(rows: Iterable[dict[str, Any]], count: int) -> list[Email]:
    """Insert ``count`` Emails, one per dict of field values (``Email(**values)`` keywords);
    returns the saved instances, pks set, in order.

    All rows or none are written. ``rows`` may be a generator that checks each item and raises
    on an invalid one. On PostgreSQL with psycopg 3 it is consumed while the rows stream to the
    server, which inserts them meanwhile: an exception aborts the whole ``COPY``, and the
    generator must not query the database (that raises :class:`QueryDuringCopy`).
    """
    using = router.db_for_write(Email)
    connection = connections[using]
    columns = _columns(connection)
    if columns is None:
        emails = [Email(**row) for row in rows]
        Email.objects.bulk_create(emails)  # atomic on its own, without a savepoint
        return emails
    now = timezone.now()
    ids = _sequence_values(connection, count) if connection.vendor == "postgresql" and psycopg3() else None
    if ids is not None:
        templates, attributes = _copy(connection, columns, ids, rows, now)
    else:
        templates, attributes, prepared = _column_values(columns, list(rows), now)
        kept = [
            index for index, (column, values) in enumerate(zip(columns, prepared, strict=True))
            if not _droppable(column.field) or any(value is not None for value in values)
        ]
        ids = _insert(connection, [columns[index].field for index in kept], [prepared[index] for index in kept])
    attnames = [Email._meta.pk.attname, *(column.field.attname for column in columns)]
    emails = loaded_instances(Email, using, attnames, zip(ids, *attributes, strict=True))
    cache_template = Email._meta.get_field("template").set_cached_value
    for email, template in zip(emails, templates, strict=True):
        if template is not None:
            cache_template(email, template)  # the instance given, as Email(template=...) would
    return emails


def _column_values(columns: list[_Column], rows: list[dict[str, Any]], now) -> tuple[list, list[list], list[list]]:
    """Each row's template (the instance given), and each column's attribute values and
    database values."""
    attributes = [_attribute_values(column.field, rows, now) for column in columns]
    prepared = [_prepare(column, values) for column, values in zip(columns, attributes, strict=True)]
    return [row.get("template") for row in rows], attributes, prepared


def _columns(connection) -> list[_Column] | None:
    """How to fill each concrete column, or None when only ``bulk_create`` is known to be right."""
    if connection.vendor not in _VENDORS or not connection.features.can_return_rows_from_bulk_insert:
        return None
    fields = Email._meta.concrete_fields
    if fields[0] is not Email._meta.pk or type(Email._meta.pk) not in _PRIMARY_KEYS:
        return None
    columns = []
    for field in fields[1:]:
        kind = type(field)
        if (kind not in _AS_IS and kind not in _PREPARED) or field.db_default is not NOT_PROVIDED:
            return None
        # Ours, and get_db_prep_save would only call it: skip the two calls in between.
        prepare = field.get_prep_value if kind is CommaSeparatedEmailField \
            else partial(_prepare_for, field, connection)
        columns.append(_Column(field, _AS_IS.get(kind), prepare))
    return columns


def _prepare_for(field: Field, connection, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _attribute_values(field: Field, rows: list[dict[str, Any]], now) -> list[Any]:
    """The instance attribute (``attname``) value of ``field`` for every row."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return [now] * len(rows)  # what pre_save would set, once for the whole batch
    name = field.name
    if field.is_relation:
        return [None if (related := row.get(name)) is None else related.pk for row in rows]
    if field.has_default() and callable(field.default):
        return [row[name] if name in row else field.get_default() for row in rows]
    default = field.get_default()
    return [row.get(name, default) for row in rows]


def _prepare(column: _Column, values: list[Any]) -> list[Any]:
    """Database values of one column; a value object seen just before (the batch's timestamp,
    a shared headers dict, the status) is prepared once."""
    as_is, prepare = column.as_is, column.prepare
    nullable = type(column.field) is not CommaSeparatedEmailField  # there None becomes ""
    if set(map(type, values)) <= {as_is, NoneType if nullable else as_is}:
        return values  # the common case (text and NULL columns): nothing to prepare
    result, last, last_prepared = [], object(), None
    append = result.append
    for value in values:
        if (value is None and nullable) or type(value) is as_is:
            append(value)
        elif value is last:
            append(last_prepared)
        else:
            last, last_prepared = value, prepare(value)
            append(last_prepared)
    return result


def _droppable(field: Field) -> bool:
    """A nullable column (none has a database default, see _columns) reads NULL when the INSERT
    leaves it out."""
    return field.null


def _insert(connection, fields: list[Field], values: list[list[Any]]) -> list[Any]:
    """Insert the rows given as one list of database values per column; returns their pks."""
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) ".format(
        quote(Email._meta.db_table), ", ".join(quote(field.column) for field in fields)
    )
    tail = f" RETURNING {quote(Email._meta.pk.column)}"
    if connection.vendor == "postgresql":  # psycopg 2, or a key without an owned sequence
        # One array parameter per column, as Django's bulk_create does on PostgreSQL: the
        # statement stays short however many rows there are.
        cursor, placeholder = binary_cursor(connection)
        arrays = array_parameters(connection, fields, placeholder)
        with cursor:
            cursor.execute(f"{head}SELECT * FROM UNNEST({arrays}){tail}", values)
            return [row[0] for row in cursor.fetchall()]  # in UNNEST order, as bulk_create relies on
    with connection.cursor() as cursor:
        return _execute_in_chunks(connection, cursor, fields, head, tail, list(zip(*values, strict=True)))


def _sequence_values(connection, count: int) -> list[Any] | None:
    """``count`` new primary keys from the Email table's sequence, ascending (so SENDING_ORDER's
    id tie-break keeps the list's order), or None when the key's default is not a sequence the
    column owns (a table created by hand): then the rows are INSERTed and the default picks."""
    table, pk = connection.ops.quote_name(Email._meta.db_table), Email._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                       [table, pk, count])
        ids = [row[0] for row in cursor.fetchall()]
    return None if ids and ids[0] is None else ids  # nextval(NULL) is NULL


def _copy(connection, columns: list[_Column], ids: list[Any], rows: Iterable[dict[str, Any]],
          now) -> tuple[list, list[list]]:
    """``COPY ... FROM STDIN`` (psycopg 3) of the rows with the given keys; returns each row's
    template and each column's attribute values, as ``_column_values``.

    The rows are read, prepared and sent in chunks, so the server inserts a chunk (most of the
    time: the table's indexes) while the next one is checked and prepared here: 1.4x the rate of
    checking and preparing every row first. COPY also skips the per-row executor work of
    ``INSERT ... SELECT FROM UNNEST`` (1.2x). An item that fails its check midway aborts the COPY,
    which writes nothing; the keys drawn leave a gap in the sequence, as a rolled back INSERT
    does. The COPY runs as a query through Django's cursor wrapper, so ``execute_wrapper`` hooks,
    query logging and counting see it.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in [Email._meta.pk.column, *(c.field.column for c in columns)])
    templates: list[Any] = []
    attributes: list[list[Any]] = [[] for _ in columns]

    def prepared_rows() -> Iterator[tuple]:
        rows_iter, start = iter(rows), 0
        while chunk := list(islice(rows_iter, _ROWS_PER_COPY_CHUNK)):
            chunk_templates, chunk_attributes, prepared = _column_values(columns, chunk, now)
            templates.extend(chunk_templates)
            for kept, column_values in zip(attributes, chunk_attributes, strict=True):
                kept.extend(column_values)
            yield from zip(ids[start:start + len(chunk)], *prepared, strict=True)
            start += len(chunk)
        if start != len(ids):
            raise ValueError(f"{start} rows given for {len(ids)} keys")

    # A statement is atomic on its own; within the caller's transaction, a savepoint keeps that
    # transaction usable when the COPY is aborted.
    savepoint = nullcontext() if connection.get_autocommit() else transaction.atomic(using=connection.alias)
    with savepoint, connection.cursor() as cursor, connection.execute_wrapper(_CopyRows(prepared_rows())):
        cursor.execute(f"COPY {quote(Email._meta.db_table)} ({names}) FROM STDIN")
    return templates, attributes


class QueryDuringCopy(RuntimeError):
    """The rows given to a streaming ``COPY`` made a query while they were read: the connection
    was busy with the COPY, so it is aborted and nothing is written."""


class _CopyRows:
    """The innermost execute wrapper while the COPY runs: instead of executing the statement as a
    query, streams the rows through psycopg's ``Cursor.copy()``."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self.rows = rows
        self.copying = self.interrupted = False

    def __call__(self, execute, sql, params, many, context) -> None:
        if self.copying:  # a query from the code producing the rows: the connection is mid-COPY
            self.interrupted = True
            raise QueryDuringCopy(f"a query while the rows of a COPY were read: {sql[:80]}")
        self.copying = True
        cursor = context["cursor"].cursor  # the psycopg cursor inside Django's CursorWrapper
        # As Django's own execute does: psycopg's errors become django.db's (IntegrityError, ...).
        with context["connection"].wrap_database_errors, cursor.copy(sql) as copy:
            write_row = copy.write_row
            try:
                for row in self.rows:
                    write_row(row)
            finally:
                if self.interrupted:  # also when that code swallowed the error or made another
                    raise QueryDuringCopy("a query was made while the rows of a COPY were read")


def _execute_in_chunks(connection, cursor, fields: list[Field], head: str, tail: str, rows: list[tuple]) -> list[Any]:
    """``INSERT ... VALUES`` per parameter-limit chunk, in one transaction when there are several."""
    placeholders = "({})".format(",".join(["%s"] * len(fields)))
    size = max(1, connection.ops.bulk_batch_size(fields, rows), variable_limit(connection) // len(fields))
    size = min(size, _MOST_ROWS_PER_STATEMENT)
    chunks = [rows[start:start + size] for start in range(0, len(rows), size)]
    ids: list[Any] = []
    # One statement is atomic by itself: a BEGIN would be one more query per call on SQLite.
    with transaction.atomic(using=connection.alias, savepoint=False) if len(chunks) > 1 else nullcontext():
        for chunk in chunks:
            sql = head + "VALUES " + ",".join([placeholders] * len(chunk)) + tail
            cursor.execute(sql, list(chain.from_iterable(chunk)))
            # RETURNING gives the rows in VALUES order, as Django's bulk_create relies on too.
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
