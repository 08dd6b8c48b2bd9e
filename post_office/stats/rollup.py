"""Per-minute, per-backend counters (:class:`~post_office.models.DeliveryStat`), incremented in
the same transaction as the outcomes they count.

Several dispatchers write the same minute's row at once, so the write is one atomic upsert that
*adds* to the stored counters (``INSERT ... ON CONFLICT ... DO UPDATE SET sent = sent + ...``);
Django's ``bulk_create(update_conflicts=True)`` would overwrite them instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from ..conf import post_office_settings
from ..models import STATUS, DeliveryStat, Email
from ..sql import storable_text

COUNTERS = ("sent", "failed", "retried", "requeued", "latency_ms")


@dataclass
class BackendCounts:
    """What one write adds to a backend's current minute."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    requeued: int = 0
    latency_ms: int = 0
    last_error: str = ""

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in COUNTERS)


def bucket_of(moment: datetime) -> datetime:
    """The minute ``moment`` falls in (UTC when time zones are on)."""
    return moment.replace(second=0, microsecond=0)


def _upsert_sql(vendor: str, rows: int) -> str | None:
    """One statement for ``rows`` backends (distinct aliases, so no row conflicts with another)."""
    table = connection.ops.quote_name(DeliveryStat._meta.db_table)
    columns = ("bucket", "backend_alias", *COUNTERS, "last_sent_at", "last_failed_at", "last_error")
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    values = ", ".join([f"({', '.join(['%s'] * len(columns))})"] * rows)
    insert = f"INSERT INTO {table} ({names}) VALUES {values}"
    if vendor == "mysql":
        # VALUES(col) is deprecated in MySQL 8.0.20 but is the form both MySQL and MariaDB accept.
        adds = ", ".join(f"{c} = {c} + VALUES({c})" for c in COUNTERS)
        keeps = ", ".join(f"{c} = COALESCE(VALUES({c}), {c})" for c in ("last_sent_at", "last_failed_at"))
        return (f"{insert} ON DUPLICATE KEY UPDATE {adds}, {keeps}, "
                "last_error = IF(VALUES(last_error) = '', last_error, VALUES(last_error))")
    if vendor == "postgresql" or (vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 24)):
        adds = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in COUNTERS)
        keeps = ", ".join(f"{c} = COALESCE(EXCLUDED.{c}, {table}.{c})" for c in ("last_sent_at", "last_failed_at"))
        return (f"{insert} ON CONFLICT (backend_alias, bucket) DO UPDATE SET {adds}, {keeps}, "
                f"last_error = CASE WHEN EXCLUDED.last_error = '' THEN {table}.last_error "
                "ELSE EXCLUDED.last_error END")
    return None


def add_to_rollup(counts_by_backend: Mapping[str, BackendCounts], now: datetime | None = None) -> None:
    """Add ``counts_by_backend`` to the rows of ``now``'s minute, in one statement.

    Call it inside the transaction that writes the counted outcomes, so both commit or neither.
    Does nothing when ``POST_OFFICE['STATS_ENABLED']`` is off.
    """
    if not post_office_settings.stats_enabled:
        return
    now = now or timezone.now()
    # Sorted: dispatchers that lock their rows in one order cannot deadlock over them.
    rows = sorted(((alias or "default", counts) for alias, counts in counts_by_backend.items() if counts),
                  key=lambda row: row[0])
    if not rows:
        return
    ops = connection.ops
    bucket = ops.adapt_datetimefield_value(bucket_of(now))
    at = ops.adapt_datetimefield_value(now)
    sql = _upsert_sql(connection.vendor, len(rows))
    if sql is None:
        with transaction.atomic():
            for alias, counts in rows:
                _increment_portably(bucket_of(now), alias, counts, now)
        return
    params: list = []
    for alias, counts in rows:
        params += [bucket, alias, *(getattr(counts, name) for name in COUNTERS), at if counts.sent else None,
                   at if (counts.failed or counts.retried) else None, counts.last_error[:255]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _increment_portably(bucket: datetime, alias: str, counts: BackendCounts, now: datetime) -> None:
    """For databases without an upsert: lock-or-create the row, then add (inside the caller's
    transaction; a concurrent first insert of the same minute retries as an update)."""
    increments = {name: F(name) + getattr(counts, name) for name in COUNTERS}
    extra = {}
    if counts.sent:
        extra["last_sent_at"] = now
    if counts.failed or counts.retried:
        extra["last_failed_at"] = now
    if counts.last_error:
        extra["last_error"] = counts.last_error[:255]
    rows = DeliveryStat.objects.filter(bucket=bucket, backend_alias=alias)
    if rows.update(**increments, **extra):
        return
    try:
        with transaction.atomic():
            DeliveryStat.objects.create(bucket=bucket, backend_alias=alias, **extra,
                                        **{name: getattr(counts, name) for name in COUNTERS})
    except IntegrityError:
        rows.update(**increments, **extra)


def tally_by_backend(results: Iterable, now: datetime) -> dict[str, BackendCounts]:
    """Counts of recorded delivery results (``dispatch.deliver.DeliveryResult``) by backend.

    Reads only what is in hand: each email's new status as :func:`~post_office.dispatch.record.record`
    set it, and its ``created`` / ``scheduled_time`` for latency. No query.
    """
    counts: dict[str, BackendCounts] = {}
    for result in results:
        if not result.attempted:
            continue
        email = result.email
        entry = counts.setdefault(email.backend_alias or "default", BackendCounts())
        if result.error is None:
            entry.sent += 1
            due = max(filter(None, (email.__dict__.get("created"), email.__dict__.get("scheduled_time"))),
                      default=now)
            entry.latency_ms += max(int((now - due).total_seconds() * 1000), 0)
            continue
        if email.status == STATUS.requeued:
            entry.retried += 1
        else:
            entry.failed += 1
        entry.last_error = f"{type(result.error).__name__}: {storable_text(str(result.error))}"
    return counts


def count_requeued(email_ids: Iterable[int], now: datetime | None = None) -> None:
    """Count emails an operator put back in the queue (one grouped query for their backends)."""
    if not post_office_settings.stats_enabled:
        return
    ids = list(email_ids)
    if not ids:
        return
    by_alias = (Email.objects.filter(pk__in=ids).order_by().values_list("backend_alias")
                .annotate(n=Count("pk")))
    counts: dict[str, BackendCounts] = {}
    for alias, n in by_alias:
        counts.setdefault(alias or "default", BackendCounts()).requeued += n
    add_to_rollup(counts, now)


def prune(older_than: timedelta = timedelta(days=90), now: datetime | None = None) -> int:
    """Delete rollup rows older than ``older_than``; returns how many."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = DeliveryStat.objects.filter(bucket__lt=cutoff).delete()
    return deleted
