"""Give freshly queued demo emails a believable past: statuses, dates over the last 30 days,
retries and delivery logs (including SMTP failures), written in bulk.

The dispatcher is not run here on purpose: the demo should show every state (including
failures and retries) without a flaky SMTP server, and load in a couple of seconds.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from post_office.models import STATUS, Email, Log, RecipientDeliveryStatus

PERMANENT = [
    ("SMTPRecipientsRefused", "SMTP 550: 5.1.1 <{rcpt}>: Recipient address rejected: User unknown"),
    ("SMTPRecipientsRefused", "SMTP 553: 5.1.3 <{rcpt}>: Recipient address rejected: bad address syntax"),
    ("SMTPDataError", "SMTP 552: 5.3.4 Message size exceeds fixed maximum message size"),
    ("SMTPDataError", "SMTP 554: 5.7.1 Message rejected as spam by content filter"),
    ("SMTPSenderRefused", "SMTP 550: 5.7.1 Sender address rejected: not authorised for this domain"),
]
TEMPORARY = [
    ("SMTPRecipientsRefused", "SMTP 450: 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, retry in 5 minutes"),
    ("SMTPDataError", "SMTP 451: 4.3.0 Temporary local problem, please try again later"),
    ("SMTPConnectError", "SMTP 421: 4.7.0 Too many connections from your IP, try again later"),
    ("SMTPServerDisconnected", "Connection unexpectedly closed"),
    ("TimeoutError", "timed out"),
]
# Share of the emails in each state (the rest are sent).
SHARES = {"failed": 0.12, "requeued": 0.06, "queued": 0.09, "scheduled": 0.09, "expired": 0.01}


def _log(email: Email, status: int, when: datetime, failure: tuple[str, str] | None = None) -> Log:
    log = Log(email=email, status=status, message="")
    if failure:
        log.exception_type = failure[0]
        log.message = failure[1].format(rcpt=email.to[0] if email.to else "")
    log.demo_date = when  # applied after bulk_create: Log.date is auto_now_add
    return log


def _failed_attempts(email: Email, rng: random.Random, start: datetime, attempts: int,
                     last: tuple[str, str] | None) -> tuple[list[Log], datetime]:
    """``attempts`` temporary failures 15 minutes apart, then ``last`` (a final failure), if any."""
    logs, when = [], start
    for _attempt in range(attempts):
        logs.append(_log(email, STATUS.failed, when, rng.choice(TEMPORARY)))
        when += timedelta(minutes=15)
    if last:
        logs.append(_log(email, STATUS.failed, when, last))
    return logs, when


def _plan(count: int, rng: random.Random) -> list[str]:
    states = []
    for state, share in SHARES.items():
        states += [state] * max(2, round(count * share))
    states += ["sent"] * max(0, count - len(states))
    rng.shuffle(states)
    return states[:count]


def apply_history(emails: list[Email], rng: random.Random, now: datetime | None = None) -> Counter:
    """Rewrite status, dates, retries and logs of ``emails``; returns how many got each state."""
    now = now or timezone.now()
    logs: list[Log] = []
    counts: Counter = Counter()
    for email, state in zip(emails, _plan(len(emails), rng), strict=True):
        counts[state] += 1
        email.number_of_retries = None
        email.scheduled_time = None
        email.expires_at = None
        email.recipient_delivery_status = None
        if state == "queued":  # due now: `manage.py send_queued_mail` delivers these
            email.created = now - timedelta(minutes=rng.randint(1, 180))
            email.status = STATUS.queued
        elif state == "scheduled":
            email.created = now - timedelta(hours=rng.randint(1, 72))
            email.scheduled_time = now + timedelta(hours=rng.randint(1, 240))
            email.status = STATUS.queued
        elif state == "expired":  # queued, but nobody sent it in time: never delivered
            email.created = now - timedelta(days=rng.randint(3, 20))
            email.expires_at = email.created + timedelta(days=1)
            email.status = STATUS.queued
        elif state == "requeued":
            email.created = now - timedelta(minutes=rng.randint(20, 600))
            email.number_of_retries = rng.randint(1, 2)
            attempts, when = _failed_attempts(email, rng, email.created + timedelta(seconds=5),
                                              email.number_of_retries, None)
            logs += attempts
            email.scheduled_time = now + timedelta(minutes=rng.randint(2, 30))
            email.status = STATUS.requeued
        else:
            email.created = now - timedelta(seconds=rng.randint(600, 30 * 24 * 3600))
            first_try = email.created + timedelta(seconds=rng.randint(2, 90))
            if state == "failed":
                retries = rng.choice([0, 0, 1, 3])
                final = rng.choice(PERMANENT) if retries < 3 else rng.choice(TEMPORARY)
                attempts, when = _failed_attempts(email, rng, first_try, retries, final)
                logs += attempts
                email.number_of_retries = retries or None
                email.status = STATUS.failed
            else:
                retried = rng.random() < 0.05
                attempts, when = _failed_attempts(email, rng, first_try, int(retried), None)
                logs += attempts
                logs.append(_log(email, STATUS.sent, when))
                email.number_of_retries = 1 if retried else None
                email.status = STATUS.sent
                logs += _provider_events(email, rng, when)
            email.last_updated = when
        if state in ("queued", "scheduled", "expired", "requeued"):
            email.last_updated = email.created if state != "requeued" else now - timedelta(minutes=1)
    with transaction.atomic():
        Email.objects.bulk_update(
            emails, ["status", "created", "last_updated", "scheduled_time", "expires_at",
                     "number_of_retries", "recipient_delivery_status"], batch_size=200)
        Log.objects.bulk_create(logs, batch_size=500)
        for log in logs:
            log.date = log.demo_date
        Log.objects.bulk_update(logs, ["date"], batch_size=500)
    return counts


def _provider_events(email: Email, rng: random.Random, sent_at: datetime) -> list[Log]:
    """What an ESP webhook would have reported for some sent emails."""
    roll = rng.random()
    if roll < 0.5:
        return []
    events = [RecipientDeliveryStatus.DELIVERED]
    if roll > 0.75:
        events.append(RecipientDeliveryStatus.OPENED)
    if roll > 0.9:
        events.append(RecipientDeliveryStatus.CLICKED)
    if roll > 0.98:
        events = [RecipientDeliveryStatus.HARD_BOUNCED]
    email.recipient_delivery_status = events[-1]
    logs = [_log(email, event, sent_at + timedelta(minutes=5 * (i + 1))) for i, event in enumerate(events)]
    for log, event in zip(logs, events, strict=True):
        log.message = f"{event.label} (reported by the provider's webhook)"
    return logs
