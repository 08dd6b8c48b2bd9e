"""Claiming due emails for one dispatcher, with a lease, in a short transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..conf import post_office_settings
from ..models import Email


def new_lease_token() -> str:
    return uuid.uuid4().hex


def sending_order() -> list[str]:
    order = post_office_settings.sending_order
    # A stable tie-breaker keeps claims deterministic and index-friendly.
    return order if {"id", "pk", "-id", "-pk"} & set(order) else [*order, "id"]


# Without SKIP LOCKED (SQLite), dispatchers that read the same candidates race for them and the
# losers stamp nothing: read again rather than report an empty queue that is not empty.
CONTENDED_CLAIM_ATTEMPTS = 5


def claim_batch(token: str, batch_size: int, now: datetime | None = None) -> list[Email]:
    """Claim up to ``batch_size`` due emails for ``token`` and return them, ready to deliver.

    The UPDATE re-checks claimability, so its row count decides ownership on every database;
    ``SELECT ... FOR UPDATE SKIP LOCKED`` (where supported) only keeps dispatchers off each
    other's rows. On SQLite each statement runs in autocommit: a deferred transaction there would
    fail with "database is locked" when upgrading its read lock.

    Queries: 2 to claim (SELECT ids, UPDATE) and 2 to load (emails with their template, then
    attachments), whatever ``batch_size`` is. Returns ``[]`` only when nothing is claimable.
    """
    now = now or timezone.now()
    expires = now + timedelta(seconds=post_office_settings.lease_duration)
    candidates = Email.objects.claimable(now).order_by(*sending_order())
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
            break
    else:
        return []
    return list(
        Email.objects.filter(pk__in=ids, lease_token=token)
        .select_related("template")
        .prefetch_related("attachments")
        .order_by(*sending_order())
    )


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


def renew(token: str, now: datetime | None = None) -> int:
    """Push back the lease of ``token``'s unrecorded emails; returns how many it still holds.

    A batch that outlives a third of its lease renews it, so ``LEASE_DURATION`` can stay short
    (fast recovery after a crash) whatever the batch's length.
    """
    now = now or timezone.now()
    return Email.objects.filter(lease_token=token).queued().update(
        lease_expires_at=now + timedelta(seconds=post_office_settings.lease_duration)
    )


def release(ids: list[int], token: str) -> int:
    """Give unsent emails back to the queue without counting an attempt."""
    if not ids:
        return 0
    return Email.objects.filter(pk__in=ids, lease_token=token).update(lease_token="", lease_expires_at=None)
