"""Claiming due emails for one dispatcher, with a lease, in a short transaction."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    ForeignKey,
    IntegerField,
    JSONField,
    OuterRef,
    PositiveBigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    Q,
    SmallAutoField,
    SmallIntegerField,
    TextField,
    prefetch_related_objects,
)
from django.utils import timezone

from ..conf import post_office_settings
from ..fields import CommaSeparatedEmailField
from ..models import Attachment, Email, EmailTemplate
from ..rendering.message import renders_on_delivery
from ..sql import loaded_instances

# Set on every claimed Email: whether it has attachments, so a batch without any skips the prefetch.
HAS_ATTACHMENTS = "claimed_with_attachments"


def new_lease_token() -> str:
    return uuid.uuid4().hex


def sending_order() -> list[str]:
    order = post_office_settings.sending_order
    # A stable tie-breaker keeps claims deterministic and index-friendly.
    return order if {"id", "pk", "-id", "-pk"} & set(order) else [*order, "id"]


# Without SKIP LOCKED or RETURNING (MySQL without SKIP LOCKED, old SQLite), dispatchers that read
# the same candidates race for them and the losers stamp nothing: read again rather than report
# an empty queue that is not empty.
CONTENDED_CLAIM_ATTEMPTS = 5


def claim_batch(token: str, batch_size: int, now: datetime | None = None) -> list[Email]:
    """Claim up to ``batch_size`` due emails for ``token`` and return them, ready to deliver, in
    sending order.

    On PostgreSQL and SQLite >= 3.35 the claim is one statement,
    ``UPDATE ... SET lease WHERE id IN (SELECT id FROM <claimable> ORDER BY ... LIMIT n) RETURNING
    <every column>, <has attachments>`` (on PostgreSQL ``id = ANY(ARRAY(SELECT ... FOR UPDATE SKIP
    LOCKED))``): the database picks, stamps and returns the rows atomically (SQLite under its write
    lock; PostgreSQL locks the rows, re-checks them and skips other dispatchers' locked ones), so
    there is no read-then-write race. Elsewhere the ids are read first, a conditional UPDATE's row
    count decides ownership, and the won rows are read back.
    Either way no transaction stays open after the claim, and on SQLite no deferred transaction
    is used (upgrading its read lock fails with "database is locked").

    Queries, whatever ``batch_size`` is: 1 to claim; 1 for templates only when a claimed email
    renders one on delivery; 1 for attachments only when a claimed email has any; 1 to sort the
    batch only for a SENDING_ORDER on text or a relation's field. With a field class whose column
    the claim cannot read as is (see ``_READ_AS_IS``), the UPDATE returns ids and the emails are read
    back with their templates joined (1 more); without RETURNING, a read, a conditional UPDATE and
    that read back. Returns ``[]`` only when nothing is claimable.
    """
    now = now or timezone.now()
    expires = now + timedelta(seconds=post_office_settings.lease_duration)
    candidates = Email.objects.claimable(now).order_by(*sending_order())
    if not _can_update_returning():
        emails = _read_back(_stamp_then_reread(candidates, batch_size, token, now, expires), token)
    elif _columns_read_as_is():
        emails = _sorted(_emails_from(_stamp_returning(candidates, batch_size, token, expires, whole_rows=True)))
        _attach_templates(emails)
    else:
        ids = [row[0] for row in _stamp_returning(candidates, batch_size, token, expires, whole_rows=False)]
        emails = _read_back(ids, token)
    prefetch_related_objects([e for e in emails if getattr(e, HAS_ATTACHMENTS)], "attachments")
    return emails


def _can_update_returning() -> bool:
    # MySQL/MariaDB have no UPDATE ... RETURNING; SQLite has it from 3.35.
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35))


# Field classes (exactly these, not subclasses) whose column a query selects as is and whose
# value its converters alone turn into the attribute, as the ORM would: the claim can build its
# emails from the UPDATE's own RETURNING rows. A custom CONTEXT_FIELD_CLASS (an encrypted field
# selecting through its own SQL, say) makes the claim read its emails back through the ORM.
_READ_AS_IS = (AutoField, BigAutoField, SmallAutoField, CharField, TextField, IntegerField, SmallIntegerField,
               BigIntegerField, PositiveIntegerField, PositiveSmallIntegerField, PositiveBigIntegerField,
               BooleanField, DateTimeField, DateField, JSONField, ForeignKey, CommaSeparatedEmailField)


def _columns_read_as_is() -> bool:
    return all(type(field) in _READ_AS_IS for field in Email._meta.concrete_fields)


def _stamp_returning(candidates, batch_size: int, token: str, expires: datetime, whole_rows: bool) -> list[tuple]:
    """Stamp the batch in one statement; returns each row's columns and whether it has attachments
    (``whole_rows``), or its id alone."""
    postgres = connection.vendor == "postgresql"
    if connection.features.has_select_for_update_skip_locked:
        candidates = _locking(candidates)
    qn, meta = connection.ops.quote_name, Email._meta
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    expires_value = meta.get_field("lease_expires_at").get_db_prep_value(expires, connection)
    links = Attachment.emails.through._meta
    has_attachments = (f"EXISTS(SELECT 1 FROM {qn(links.db_table)} WHERE "
                       f"{qn(links.db_table)}.{qn(links.get_field('email').column)} = {table}.{pk})")
    returning = f"{', '.join(qn(f.column) for f in meta.concrete_fields)}, {has_attachments}" if whole_rows else pk
    # atomic(): Django compiles FOR UPDATE only inside a transaction (on PostgreSQL that adds no
    # statement); SQLite runs the single statement in autocommit, under its write lock.
    in_transaction = transaction.atomic() if connection.features.has_select_for_update else nullcontext()
    with in_transaction, connection.cursor() as cursor:
        pick, pick_params = candidates.values("pk")[:batch_size].query.get_compiler(connection=connection).as_sql()
        # PostgreSQL may plan "id IN (... LIMIT n FOR UPDATE SKIP LOCKED)" as a nested loop that
        # re-runs the subquery per row, stamping more than n rows; ARRAY() runs it exactly once.
        # Its row locks re-check claimability, so a row another dispatcher took meanwhile drops out.
        chosen = f"{pk} = ANY(ARRAY({pick}))" if postgres else f"{pk} IN ({pick})"
        cursor.execute(
            f"UPDATE {table} SET {qn('lease_token')} = %s, {qn('lease_expires_at')} = %s "
            f"WHERE {chosen} RETURNING {returning}",
            [token, expires_value, *pick_params],
        )
        return cursor.fetchall()


def _emails_from(rows: list[tuple]) -> list[Email]:
    """Emails from the claim's RETURNING rows (every column, then whether it has attachments)."""
    meta, fields = Email._meta, Email._meta.concrete_fields
    # What the ORM does to each row of a query: the backend's and the field's own conversions.
    converters = [(i, converts, col) for i, col in enumerate(f.get_col(meta.db_table) for f in fields)
                  if (converts := connection.ops.get_db_converters(col) + col.get_db_converters(connection))]
    converted = []
    for row in rows:
        values = list(row[:-1])
        for i, converts, col in converters:
            for convert in converts:
                values[i] = convert(values[i], col, connection)
        converted.append(values)
    emails = loaded_instances(Email, connection.alias, [f.attname for f in fields], converted)
    for email, row in zip(emails, rows, strict=True):
        setattr(email, HAS_ATTACHMENTS, bool(row[-1]))
    return emails


# Sending-order fields whose Python order is the database's (numbers and dates; text collations
# differ), so a claimed batch is sorted here instead of being read back with ORDER BY.
_SORTABLE_FIELD_TYPES = ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                         "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                         "PositiveBigIntegerField", "DateTimeField", "DateField")


def _sorted(emails: list[Email]) -> list[Email]:
    """``emails`` in sending order (UPDATE ... RETURNING gives rows in no set order)."""
    if len(emails) < 2:
        return emails
    keys = []
    for name in sending_order():
        attname = name.lstrip("-")
        try:
            field = Email._meta.get_field("id" if attname == "pk" else attname)
        except FieldDoesNotExist:
            field = None
        if field is None or not field.concrete or field.get_internal_type() not in _SORTABLE_FIELD_TYPES:
            # An ordering Python cannot reproduce (text, a relation's field): ask the database.
            order = list(Email.objects.filter(pk__in=[e.pk for e in emails])
                         .order_by(*sending_order()).values_list("pk", flat=True))
            position = {pk: i for i, pk in enumerate(order)}
            # An email deleted since the claim is left out, as a read back would leave it.
            return sorted((e for e in emails if e.pk in position), key=lambda e: position[e.pk])
        keys.append((field.attname, name.startswith("-")))
    # NULL sorts after every value on PostgreSQL, before every value on SQLite (as in ORDER BY).
    null_rank = 1 if connection.vendor == "postgresql" else -1
    result = list(emails)
    for attname, descending in reversed(keys):  # stable sorts, least significant key first
        result.sort(key=lambda e: (0, v) if (v := getattr(e, attname)) is not None else (null_rank, 0),
                    reverse=descending)
    return result


def _attach_templates(emails: list[Email]) -> None:
    """Load the templates the claimed emails render on delivery, in one query, none if no email
    renders one."""
    rendering = [email for email in emails if renders_on_delivery(email)]
    if not rendering:
        return
    templates = EmailTemplate.objects.in_bulk({email.template_id for email in rendering})
    for email in rendering:
        if email.template_id in templates:
            Email.template.field.set_cached_value(email, templates[email.template_id])


def _read_back(ids: list[int], token: str) -> list[Email]:
    """The claimed emails among ``ids`` (those stamped with ``token``), in sending order."""
    if not ids:
        return []
    with_attachments = Attachment.emails.through.objects.filter(email_id=OuterRef("pk"))
    return list(
        Email.objects.filter(pk__in=ids, lease_token=token)
        .select_related("template")
        .annotate(**{HAS_ATTACHMENTS: Exists(with_attachments)})
        .order_by(*sending_order())
    )


def _locking(candidates):
    # OF the email rows only: a SENDING_ORDER on a relation's field joins its table, and PostgreSQL
    # refuses FOR UPDATE on the nullable side of an outer join (nor is there anything to lock there).
    of = ("self",) if connection.features.has_select_for_update_of else ()
    return candidates.select_for_update(skip_locked=True, of=of)


def _stamp_then_reread(candidates, batch_size: int, token: str, now: datetime, expires: datetime) -> list[int]:
    for _attempt in range(CONTENDED_CLAIM_ATTEMPTS):
        if connection.features.has_select_for_update_skip_locked:
            with transaction.atomic():
                ids = list(_locking(candidates).values_list("pk", flat=True)[:batch_size])
                claimed = _stamp(ids, token, now, expires)
        else:
            ids = list(candidates.values_list("pk", flat=True)[:batch_size])
            claimed = _stamp(ids, token, now, expires)
        if not ids:
            return []
        if claimed:
            return ids  # the caller loads them filtered by token: only the ones we won
    return []


def claim_one(email: Email, token: str, now: datetime | None = None) -> bool:
    """Claim ``email`` for ``token`` if no live lease holds it, whatever its status or schedule.

    ``Email.dispatch()`` sends on demand (as django-post_office did, even a failed email); only
    a live claim by another dispatcher stops it, so the two never send the same email at once.
    """
    now = now or timezone.now()
    expires = now + timedelta(seconds=post_office_settings.lease_duration)
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    return bool(Email.objects.filter(free, pk=email.pk).update(lease_token=token, lease_expires_at=expires))


def _stamp(ids: list[int], token: str, now: datetime, expires: datetime) -> int:
    if not ids:
        return 0
    return Email.objects.filter(pk__in=ids).claimable(now).update(
        lease_token=token, lease_expires_at=expires
    )


def renew(tokens: str | list[str], now: datetime | None = None) -> int:
    """Push back the lease of ``tokens``' unrecorded emails; returns how many were renewed.

    The dispatcher renews every third of the lease, so ``LEASE_DURATION`` can stay short
    (fast recovery after a crash) whatever the batch's length.
    """
    tokens = [tokens] if isinstance(tokens, str) else list(tokens)
    if not tokens:
        return 0
    now = now or timezone.now()
    held = Email.objects.filter(lease_token__in=tokens).queued()
    expires = now + timedelta(seconds=post_office_settings.lease_duration)
    if not connection.features.has_select_for_update_skip_locked:
        # SQLite (one writer at a time, no row locks), or MySQL before 8 / MariaDB before 10.6.
        return held.update(lease_expires_at=expires)
    # The rows the dispatcher is recording at this moment are locked by that write, and their
    # leases end with it: skip them instead of waiting. Two multi-row UPDATEs that wait for each
    # other's rows, each having locked some in its own order, deadlock. A row someone else holds
    # is skipped too; the lease has slack for two missed renewals, far longer than a bulk update.
    with transaction.atomic():
        ids = list(held.select_for_update(skip_locked=True).values_list("pk", flat=True))
        return Email.objects.filter(pk__in=ids).update(lease_expires_at=expires) if ids else 0


def release(ids: list[int], token: str) -> int:
    """Give unsent emails back to the queue without counting an attempt."""
    if not ids:
        return 0
    return Email.objects.filter(pk__in=ids, lease_token=token).update(lease_token="", lease_expires_at=None)
