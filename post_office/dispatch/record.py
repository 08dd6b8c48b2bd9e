"""Recording delivery outcomes: every status change of a dispatched email goes through here,
so the Email row, its Log and the statistics cannot drift apart.

Queries are per outcome, not per email: one UPDATE for the sent, one for the failed, one per
retry count for the requeued, one INSERT for all logs.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from ..models import STATUS, Email
from ..sql import lost_a_lock_conflict, storable_text
from ..stats.rollup import add_to_rollup, tally_by_backend
from .deliver import DeliveryResult
from .retry import RetryPolicy, smtp_code
from .writes import insert_logs, update_emails

logger = logging.getLogger("post_office")

# Tries of a results write that the database aborts to end a lock conflict (a deadlock with an
# operator's bulk action on the same emails, say). Each try is the whole transaction again.
WRITE_ATTEMPTS = 3
# Before trying again, a pause of up to this many seconds per try so far (random, so that two
# writers do not collide again in step): the transaction that won must get the locks it waited for
# and finish first; an immediate retry can take them back and deadlock with it again.
CONFLICT_PAUSE_SECONDS = 0.2


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    requeued: int = 0
    released: int = 0
    failed_ids: list[int] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.requeued += other.requeued
        self.released += other.released
        self.failed_ids.extend(other.failed_ids)

    def as_tuple(self) -> tuple[int, int, int]:
        return self.sent, self.failed, self.requeued


def describe(exc: BaseException) -> str:
    """The Log message for ``exc``: its SMTP code first, then its text, made storable (a NUL or a
    lone surrogate in a server's reply must not make the results write fail)."""
    code = smtp_code(exc)
    text = storable_text(str(exc) or exc.__class__.__name__)
    return f"SMTP {code}: {text}" if code and str(code) not in text[:12] else text


@dataclass
class _Outcomes:
    """What a results write changes, sorted by statement."""

    sent_ids: list[int] = field(default_factory=list)
    failed_ids: list[int] = field(default_factory=list)
    requeue: dict[int, list[Email]] = field(default_factory=lambda: defaultdict(list))  # by retry number
    retry_at: dict[int, datetime] = field(default_factory=dict)  # by retry number
    released_ids: list[int] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)  # the claims of the released emails
    logs: list[tuple] = field(default_factory=list)  # (email_id, status, exception_type, message)


def record(results: list[DeliveryResult], log_level: int, policy: RetryPolicy,
           now: datetime | None = None) -> Tally:
    """Write the outcome of ``results`` in one transaction and return the counts."""
    now = now or timezone.now()
    out = _Outcomes()
    for result in results:
        email = result.email
        if not result.attempted:
            out.released_ids.append(email.pk)
            out.tokens.add(email.lease_token)
            continue
        if result.error is None:
            out.sent_ids.append(email.pk)
            email.status = STATUS.sent
            if log_level >= 2:
                out.logs.append((email.pk, STATUS.sent, "", ""))
            continue
        retries_done = email.number_of_retries or 0
        if policy.should_retry(retries_done, result.error):
            out.requeue[retries_done + 1].append(email)
            email.status = STATUS.requeued
        else:
            out.failed_ids.append(email.pk)
            email.status = STATUS.failed
        description = describe(result.error)
        if log_level >= 1:
            out.logs.append((email.pk, STATUS.failed, type(result.error).__name__, description))
        logger.warning("Failed to send email %s: %s", email.pk, description)
    out.retry_at = {retries: policy.next_attempt(retries - 1, now) for retries in out.requeue}

    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            _write(results, out, now)
            break
        except OperationalError as exc:
            # Inside the caller's transaction the whole of it was aborted: only the caller can retry.
            if attempt == WRITE_ATTEMPTS or connection.in_atomic_block or not lost_a_lock_conflict(exc):
                raise
            logger.warning("Writing %d delivery results conflicted with another transaction (%s); "
                           "writing them again.", len(results), exc)
            time.sleep(random.uniform(0.5, 1.0) * CONFLICT_PAUSE_SECONDS * attempt)
    # Only now: a write tried again must see the emails' retry counts as they were.
    for retries, emails in out.requeue.items():
        for email in emails:
            email.number_of_retries, email.scheduled_time = retries, out.retry_at[retries]
    return Tally(sent=len(out.sent_ids), failed=len(out.failed_ids),
                 requeued=sum(len(emails) for emails in out.requeue.values()),
                 released=len(out.released_ids), failed_ids=out.failed_ids)


def _write(results: list[DeliveryResult], out: _Outcomes, now: datetime) -> None:
    cleared = {"lease_token": "", "lease_expires_at": None, "last_updated": now}
    with transaction.atomic():
        update_emails(out.sent_ids, status=STATUS.sent, **cleared)
        update_emails(out.failed_ids, status=STATUS.failed, **cleared)
        for retries, emails in out.requeue.items():
            update_emails([e.pk for e in emails], status=STATUS.requeued, number_of_retries=retries,
                          scheduled_time=out.retry_at[retries], **cleared)
        if out.released_ids:
            # Only our own claim: the lease may have passed to another dispatcher meanwhile.
            Email.objects.filter(pk__in=out.released_ids, lease_token__in=out.tokens).update(
                lease_token="", lease_expires_at=None)
        insert_logs(out.logs, now)
        add_to_rollup(tally_by_backend(results, now), now)  # the dashboard's counters, same commit
