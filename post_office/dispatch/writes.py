"""The statements that record delivery outcomes, written by hand: Log rows, and Email rows
updated by id.

``record()`` runs on the dispatcher's main thread between the results it collects, holding the
GIL while it builds statements, and the delivery threads wait for the GIL to read their server's
replies. Through the ORM, a batch of 100 sent emails cost ~7 ms of that thread's time (a Log
instance per email, each value prepared one by one, two statements compiled, and psycopg quoting
every id into the SQL text); these write the same rows for ~1 ms. Statements per batch are the
same: one UPDATE per outcome and one INSERT for all logs, whatever their size: the rows travel as
arrays (PostgreSQL, bound in binary) or as one JSON parameter (SQLite, read with ``json_each``, which
Django's JSONField already needs), so the statement text never changes with the row count.

Hand-built on PostgreSQL and SQLite (``UNNEST`` and ``json_each`` are theirs, and the suite runs
on both); any other database gets the ORM's statements, which know its dialect.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection

from ..models import Email, Log
from ..sql import array_parameters, binary_cursor

_LOG_FIELDS = ("email", "status", "exception_type", "message", "date")
_HAND_BUILT = ("postgresql", "sqlite")


def insert_logs(rows: list[tuple[int, int, str, str]], date: datetime) -> None:
    """Insert one Log per ``(email_id, status, exception_type, message)``, all dated ``date``
    (through the ORM, on other databases, ``Log.date``'s ``auto_now_add`` dates them as written).

    Rows of emails deleted meanwhile (an operator, ``cleanup_mail`` on an old backlog) are left
    out: their foreign key would fail the whole results write, and every email in it would be
    sent again once its lease ran out.
    """
    if not rows:
        return
    if connection.vendor not in _HAND_BUILT:
        existing = set(Email.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", flat=True))
        Log.objects.bulk_create([Log(email_id=email_id, status=status, exception_type=kind, message=message)
                                 for email_id, status, kind, message in rows if email_id in existing])
        return
    meta, qn = Log._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in _LOG_FIELDS]
    date_value = fields[-1].get_db_prep_save(date, connection)
    head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(field.column) for field in fields)}) "
    emails, email_pk = qn(Email._meta.db_table), qn(Email._meta.pk.column)
    if connection.vendor == "postgresql":
        cursor, placeholder = binary_cursor(connection)
        arrays = array_parameters(connection, fields[:-1], placeholder)
        with cursor:
            cursor.execute(
                f"{head}SELECT given.*, {placeholder} "
                f"FROM UNNEST({arrays}) AS given({', '.join(qn(field.column) for field in fields[:-1])}) "
                f"WHERE EXISTS(SELECT 1 FROM {emails} WHERE {emails}.{email_pk} = given.{qn(fields[0].column)})",
                [date_value, *(list(column) for column in zip(*rows, strict=True))],
            )
        return
    # SQLite: the rows as one JSON parameter, so the statement is the same text for any number of
    # rows (one entry in sqlite3's statement cache, no parameter limit to chunk around).
    columns = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(fields) - 1))
    with connection.cursor() as cursor:
        # ensure_ascii=False: text goes as is (a lone surrogate fails to bind, as through the ORM).
        cursor.execute(f"{head}SELECT {columns}, %s FROM json_each(%s) "
                       f"WHERE EXISTS(SELECT 1 FROM {emails} WHERE {emails}.{email_pk} = json_extract(value, '$[0]'))",
                       [date_value, json.dumps(rows, ensure_ascii=False)])


def update_emails(ids: list[int], **values: Any) -> None:
    """``Email.objects.filter(pk__in=ids).update(**values)`` for plain (non-expression) values."""
    if not ids:
        return
    if connection.vendor not in _HAND_BUILT:
        Email.objects.filter(pk__in=ids).update(**values)
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
    with connection.cursor() as cursor:
        cursor.execute(head.format(assignments) + "IN (SELECT value FROM json_each(%s))", [*params, json.dumps(ids)])
