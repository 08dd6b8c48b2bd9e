"""The statements that record delivery outcomes, written by hand: Log rows, and Email rows
updated by id.

``record()`` runs on the dispatcher's main thread between the results it collects, holding the
GIL while it builds statements, and the delivery threads wait for the GIL to read their server's
replies. Through the ORM, a batch of 100 sent emails cost ~7 ms of that thread's time (a Log
instance per email, each value prepared one by one, two statements compiled, and psycopg quoting
every id into the SQL text); these write the same rows for ~1 ms. Statements per batch are the
same: one UPDATE per outcome and one INSERT for all logs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from ..models import Email, Log
from ..sql import array_parameters, binary_cursor, variable_limit

_LOG_FIELDS = ("email", "status", "exception_type", "message", "date")


def insert_logs(rows: list[tuple[int, int, str, str]], date: datetime) -> None:
    """Insert one Log per ``(email_id, status, exception_type, message)``, all dated ``date``:
    the rows ``Log.objects.bulk_create`` would write."""
    if not rows:
        return
    meta, qn = Log._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in _LOG_FIELDS]
    date_value = fields[-1].get_db_prep_save(date, connection)
    head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(field.column) for field in fields)}) "
    if connection.vendor == "postgresql":
        cursor, placeholder = binary_cursor(connection)
        with cursor:
            cursor.execute(
                f"{head}SELECT *, {placeholder} FROM UNNEST({array_parameters(connection, fields[:-1], placeholder)})",
                [date_value, *(list(column) for column in zip(*rows, strict=True))],
            )
        return
    limit = variable_limit(connection) if connection.vendor == "sqlite" else 0
    chunk = max(connection.ops.bulk_batch_size(fields, rows), limit // len(fields), 1)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            cursor.execute(head + "VALUES " + ", ".join([placeholders] * len(part)),
                           [value for row in part for value in (*row, date_value)])


def update_emails(ids: list[int], **values: Any) -> None:
    """``Email.objects.filter(pk__in=ids).update(**values)`` for plain (non-expression) values."""
    if not ids:
        return
    meta, qn = Email._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in values]
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in fields)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(), strict=True)]
    head = f"UPDATE {qn(meta.db_table)} SET {{}} WHERE {qn(meta.pk.column)} "
    if connection.vendor == "postgresql":
        cursor, placeholder = binary_cursor(connection)
        with cursor:
            cursor.execute(head.format(assignments.replace("%s", placeholder)) + f"= ANY({placeholder})",
                           [*params, list(ids)])
        return
    limit = variable_limit(connection) if connection.vendor == "sqlite" else connection.features.max_query_params
    chunk = max((limit or 2000) - len(params), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            cursor.execute(head.format(assignments) + f"IN ({', '.join(['%s'] * len(part))})", [*params, *part])
