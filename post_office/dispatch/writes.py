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
    given = fields[:-1]  # the row's own values; the date is one for all
    if connection.vendor == "postgresql":
        cursor, placeholder = binary_cursor(connection)
        names = ", ".join(qn(field.column) for field in given)
        selected = "given.*"
        source = f"UNNEST({array_parameters(connection, given, placeholder)}) AS given({names})"
        email_id = f"given.{qn(given[0].column)}"
        rows_parameters = [list(column) for column in zip(*rows, strict=True)]
    else:
        # SQLite: the rows as one JSON parameter, so the statement is the same text for any number
        # of rows (one entry in sqlite3's statement cache, no parameter limit to chunk around).
        # ensure_ascii=False: text goes as is (a lone surrogate fails to bind, as through the ORM).
        cursor, placeholder = connection.cursor(), "%s"
        selected = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(given)))
        source = "json_each(%s)"
        email_id = "json_extract(value, '$[0]')"
        rows_parameters = [json.dumps(rows, ensure_ascii=False)]
    emails, email_pk = qn(Email._meta.db_table), qn(Email._meta.pk.column)
    with cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(field.column) for field in fields)}) "
            f"SELECT {selected}, {placeholder} FROM {source} "
            f"WHERE EXISTS(SELECT 1 FROM {emails} WHERE {emails}.{email_pk} = {email_id})",
            [fields[-1].get_db_prep_save(date, connection), *rows_parameters],
        )


def update_emails(ids: list[int], **values: Any) -> None:
    """``Email.objects.filter(pk__in=ids).update(**values)`` for plain (non-expression) values."""
    if not ids:
        return
    if connection.vendor not in _HAND_BUILT:
        Email.objects.filter(pk__in=ids).update(**values)
        return
    meta, qn = Email._meta, connection.ops.quote_name
    if connection.vendor == "postgresql":
        cursor, placeholder = binary_cursor(connection)
        chosen, ids_parameter = f"= ANY({placeholder})", list(ids)
    else:  # SQLite: the ids as one JSON parameter, as the logs above
        cursor, placeholder = connection.cursor(), "%s"
        chosen, ids_parameter = "IN (SELECT value FROM json_each(%s))", json.dumps(ids)
    fields = [meta.get_field(name) for name in values]
    assignments = ", ".join(f"{qn(field.column)} = {placeholder}" for field in fields)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(), strict=True)]
    with cursor:
        cursor.execute(f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} {chosen}",
                       [*params, ids_parameter])
