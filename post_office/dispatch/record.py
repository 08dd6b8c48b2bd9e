"""Recording delivery outcomes: every status change of a dispatched email goes through here,
so the Email row, its Log and the statistics cannot drift apart.

Queries are per outcome, not per email: one UPDATE for the sent, one for the failed, one per
retry count for the requeued, one INSERT for all logs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import STATUS, Email
from ..sql import storable_text
from ..stats.rollup import add_to_rollup, tally_by_backend
from .deliver import DeliveryResult
from .retry import RetryPolicy, smtp_code
from .writes import insert_logs, update_emails

logger = logging.getLogger("post_office")


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


def record(results: list[DeliveryResult], log_level: int, policy: RetryPolicy,
           now: datetime | None = None) -> Tally:
    """Write the outcome of ``results`` in one transaction and return the counts."""
    now = now or timezone.now()
    tally = Tally()
    sent_ids: list[int] = []
    failed_ids: list[int] = []
    released_ids: list[int] = []
    tokens: set[str] = set()
    requeue: dict[int, list[Email]] = defaultdict(list)  # by retry number: one UPDATE each
    logs: list[tuple] = []  # (email_id, status, exception_type, message)
    for result in results:
        email = result.email
        if not result.attempted:
            released_ids.append(email.pk)
            tokens.add(email.lease_token)
            continue
        if result.error is None:
            sent_ids.append(email.pk)
            email.status = STATUS.sent
            if log_level >= 2:
                logs.append((email.pk, STATUS.sent, "", ""))
            continue
        retries_done = email.number_of_retries or 0
        if policy.should_retry(retries_done, result.error):
            requeue[retries_done + 1].append(email)
        else:
            failed_ids.append(email.pk)
            email.status = STATUS.failed
        description = describe(result.error)
        if log_level >= 1:
            logs.append((email.pk, STATUS.failed, type(result.error).__name__, description))
        logger.warning("Failed to send email %s: %s", email.pk, description)

    cleared = {"lease_token": "", "lease_expires_at": None, "last_updated": now}
    with transaction.atomic():
        update_emails(sent_ids, status=STATUS.sent, **cleared)
        update_emails(failed_ids, status=STATUS.failed, **cleared)
        for retries, emails in requeue.items():
            retry_at = policy.next_attempt(retries - 1, now)
            update_emails([e.pk for e in emails], status=STATUS.requeued, number_of_retries=retries,
                          scheduled_time=retry_at, **cleared)
            for email in emails:
                email.status, email.number_of_retries, email.scheduled_time = STATUS.requeued, retries, retry_at
        if released_ids:
            # Only our own claim: the lease may have passed to another dispatcher meanwhile.
            Email.objects.filter(pk__in=released_ids, lease_token__in=tokens).update(
                lease_token="", lease_expires_at=None)
        insert_logs(logs, now)
        add_to_rollup(tally_by_backend(results, now), now)  # the dashboard's counters, same commit
    tally.sent, tally.failed, tally.released = len(sent_ids), len(failed_ids), len(released_ids)
    tally.requeued = sum(len(emails) for emails in requeue.values())
    tally.failed_ids = failed_ids
    return tally
