"""Claiming due emails for one dispatcher, with a lease, in a short transaction."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.utils import timezone

from ..conf import post_office_settings
from ..models import Attachment, Email

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
    """Claim up to ``batch_size`` due emails for ``token`` and return them, ready to deliver.

    On PostgreSQL and SQLite >= 3.35 the claim is one statement,
    ``UPDATE ... SET lease WHERE id IN (SELECT id FROM <claimable> ORDER BY ... LIMIT n) RETURNING
    id`` (on PostgreSQL ``id = ANY(ARRAY(SELECT ... FOR UPDATE SKIP LOCKED))``): the database picks
    and stamps the rows atomically (SQLite under its write lock; PostgreSQL locks the rows,
    re-checks them and skips other dispatchers' locked ones), so there is no read-then-write race.
    Elsewhere the ids are read first and a conditional UPDATE's row count decides ownership.
    Either way no transaction stays open after the claim, and on SQLite no deferred transaction
    is used (upgrading its read lock fails with "database is locked").

    Queries: 1 to claim, 1 to load the emails with their template, and 1 for attachments only when
    a claimed email has any, whatever ``batch_size`` is. Returns ``[]`` only when nothing is
    claimable.
    """
    now = now or timezone.now()
    expires = now + timedelta(seconds=post_office_settings.lease_duration)
    candidates = Email.objects.claimable(now).order_by(*sending_order())
    if _can_update_returning():
        ids = _stamp_returning(candidates, batch_size, token, expires)
    else:
        ids = _stamp_then_reread(candidates, batch_size, token, now, expires)
    if not ids:
        return []
    with_attachments = Attachment.emails.through.objects.filter(email_id=OuterRef("pk"))
    emails = list(
        Email.objects.filter(pk__in=ids, lease_token=token)
        .select_related("template")
        .annotate(**{HAS_ATTACHMENTS: Exists(with_attachments)})
        .order_by(*sending_order())
    )
    prefetch_related_objects([e for e in emails if getattr(e, HAS_ATTACHMENTS)], "attachments")
    return emails


def _can_update_returning() -> bool:
    # MySQL/MariaDB have no UPDATE ... RETURNING; SQLite has it from 3.35.
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35))


def _stamp_returning(candidates, batch_size: int, token: str, expires: datetime) -> list[int]:
    postgres = connection.vendor == "postgresql"
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True)
    qn, meta = connection.ops.quote_name, Email._meta
    pk = qn(meta.pk.column)
    expires_value = meta.get_field("lease_expires_at").get_db_prep_value(expires, connection)
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
            f"UPDATE {qn(meta.db_table)} SET {qn('lease_token')} = %s, {qn('lease_expires_at')} = %s "
            f"WHERE {chosen} RETURNING {pk}",
            [token, expires_value, *pick_params],
        )
        return [row[0] for row in cursor.fetchall()]


def _stamp_then_reread(candidates, batch_size: int, token: str, now: datetime, expires: datetime) -> list[int]:
    for _attempt in range(CONTENDED_CLAIM_ATTEMPTS):
        if connection.features.has_select_for_update_skip_locked:
            with transaction.atomic():
                ids = list(candidates.select_for_update(skip_locked=True)
                           .values_list("pk", flat=True)[:batch_size])
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
    """Push back the lease of ``tokens``' unrecorded emails; returns how many they still hold.

    The dispatcher renews every third of the lease, so ``LEASE_DURATION`` can stay short
    (fast recovery after a crash) whatever the batch's length.
    """
    tokens = [tokens] if isinstance(tokens, str) else list(tokens)
    if not tokens:
        return 0
    now = now or timezone.now()
    return Email.objects.filter(lease_token__in=tokens).queued().update(
        lease_expires_at=now + timedelta(seconds=post_office_settings.lease_duration)
    )


def release(ids: list[int], token: str) -> int:
    """Give unsent emails back to the queue without counting an attempt."""
    if not ids:
        return 0
    return Email.objects.filter(pk__in=ids, lease_token=token).update(lease_token="", lease_expires_at=None)
