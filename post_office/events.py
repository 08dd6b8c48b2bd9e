"""Provider delivery events (delivered, opened, bounced, ...): the one path that records them.

Every source feeds :func:`record_events`: the webhook views in :mod:`post_office.webhooks`, the
django-anymail ``tracking`` receiver, or a project's own code. Per call it

- matches events to emails by Message-ID in one query (one per ``_match_chunk()`` distinct IDs),
- raises ``Email.recipient_delivery_status`` where the event outranks the stored status
  ("best status wins", :data:`STATUS_RANK`), with one conditional UPDATE per resulting status,
- writes one ``Log`` row per matched event (``bulk_create``),
- adds hard-bounced and complaining addresses to ``Suppression`` (``bulk_create``).

So the number of queries does not grow with the number of events, except where the database
caps a statement's parameters (SQLite: ``bulk_create`` writes at most 999 // 5 = 199 Log rows per
INSERT; see the README).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from django.db import connection, transaction
from django.db.models import Count, Q

from .models import Email, Log, RecipientDeliveryStatus, Suppression

logger = logging.getLogger("post_office.events")

S = RecipientDeliveryStatus

#: "Best status wins": a higher rank replaces a lower one, never the reverse. Engagement climbs
#: (accepted < deferred < delivered < opened < clicked), so a late ``delivered`` cannot hide a
#: click. Anything that says "stop mailing this address" outranks engagement, weakest to
#: strongest: an unsubscribe, then bounces by certainty, then a spam complaint (the costliest
#: signal for sender reputation). A soft bounce that the provider later delivers stays a soft
#: bounce: the status is a warning flag, the Log keeps the full sequence.
STATUS_RANK: dict[int, int] = {
    S.ACCEPTED: 10,
    S.DEFERRED: 20,
    S.DELIVERED: 30,
    S.OPENED: 40,
    S.CLICKED: 50,
    S.UNSUBSCRIBED: 60,
    S.SOFT_BOUNCED: 70,
    S.UNDETERMINED_BOUNCED: 80,
    S.HARD_BOUNCED: 90,
    S.SPAM_COMPLAINT: 100,
}

#: Statuses that put the recipient's address on the suppression list.
SUPPRESSING: dict[int, str] = {
    S.HARD_BOUNCED: Suppression.Reason.HARD_BOUNCE,
    S.SPAM_COMPLAINT: Suppression.Reason.COMPLAINT,
}


@dataclass
class ESPEvent:
    """One provider event, normalized. The first seven fields are django-post_office 3.12's."""

    raw_event: str  # the provider's own name for it, e.g. 'Bounce:Permanent' or 'click'
    delivery_status: RecipientDeliveryStatus
    recipient: str
    message_id: str | None = None  # the Message-ID header (or the provider's id) to match on
    timestamp: datetime | None = None
    subject: str | None = None
    to_addresses: list[str] | None = None
    detail: str = ""  # a bounce diagnostic, a clicked URL...: shown in the Log message


@dataclass
class RecordedEvents:
    """What :func:`record_events` did with a batch."""

    received: int = 0
    matched: int = 0  # events written as Log rows
    unknown: int = 0  # events whose Message-ID matched no email (or had none): ignored
    emails_updated: int = 0
    suppressed: int = 0  # addresses offered to the suppression list (existing ones are kept)


def outranks(new: int | None, current: int | None) -> bool:
    """True if status ``new`` should replace ``current`` (see :data:`STATUS_RANK`)."""
    if new is None:
        return False
    return current is None or STATUS_RANK.get(new, 0) > STATUS_RANK.get(current, 0)


def normalize_message_id(value: str | None) -> str:
    """``<abc@host>`` and ``abc@host`` are the same id: compare them without brackets."""
    return (value or "").strip().strip("<>").strip()


_PLAIN_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+")


def bare_address(value: str | None) -> str:
    """``Name <Bob@Example.com>`` -> ``bob@example.com``; '' when there is no address."""
    value = (value or "").strip()
    if _PLAIN_ADDRESS.fullmatch(value):
        return value.lower()  # what providers send; parseaddr costs ~70 us per call
    address = parseaddr(value)[1].strip().lower()
    return address if "@" in address else ""


def record_events(events: Iterable[ESPEvent], provider: str = "") -> RecordedEvents:
    """Record ``events`` (any provider, any mix of emails) and return what was done.

    Events whose Message-ID matches no email are ignored and logged at INFO: a provider account
    is often shared with other senders, so they are expected, not errors.
    """
    events = [event for event in events if event.delivery_status in STATUS_RANK]
    result = RecordedEvents(received=len(events))
    by_id: dict[str, list[ESPEvent]] = defaultdict(list)
    unknown_ids: list[str] = []
    for event in events:
        key = normalize_message_id(event.message_id)
        if key:
            by_id[key].append(event)
        else:
            result.unknown += 1
    emails = _match(list(by_id))

    current: dict[int, int | None] = {}
    best: dict[int, int | None] = {}
    logs: list[Log] = []
    suppressions: dict[str, Suppression] = {}
    for key, batch in by_id.items():
        rows = emails.get(key)
        if not rows:
            result.unknown += len(batch)
            unknown_ids.append(key)
            continue
        for pk, status in rows:
            current.setdefault(pk, status)
            best.setdefault(pk, status)
            for event in batch:
                result.matched += 1
                address = bare_address(event.recipient)
                logs.append(Log(email_id=pk, status=event.delivery_status,
                                message=log_message(event, provider, address)))
                if outranks(event.delivery_status, best[pk]):
                    best[pk] = event.delivery_status
                reason = SUPPRESSING.get(event.delivery_status)
                if reason and address and address not in suppressions:
                    suppressions[address] = Suppression(
                        address=address, reason=reason, email_id=pk,
                        source=f"{provider} {event.raw_event}".strip()[:255],
                    )

    raise_to: dict[int, list[int]] = defaultdict(list)
    for pk, status in best.items():
        if status != current[pk]:
            raise_to[status].append(pk)
    if logs:
        result.emails_updated = _write(raise_to, logs, list(suppressions.values()))
    result.suppressed = len(suppressions)
    if result.unknown:
        sample = ", ".join(unknown_ids[:5]) + (" ..." if len(unknown_ids) > 5 else "")
        logger.info("Ignored %d %s event(s) without a known Message-ID (%d unknown: %s)",
                    result.unknown, provider or "delivery", len(unknown_ids), sample or "none given")
    return result


def _write(raise_to: dict[int, list[int]], logs: list[Log], suppressions: list[Suppression]) -> int:
    """Statuses, Logs and suppressions in one transaction; returns the emails whose status rose."""
    updated = 0
    with transaction.atomic():
        if raise_to and connection.features.has_select_for_update:
            # Lock in primary-key order first: concurrent webhook requests touching the same
            # emails then wait for each other instead of deadlocking across several UPDATEs.
            locked = sorted(pk for pks in raise_to.values() for pk in pks)
            for chunk in _chunks(locked, _max_params()):
                list(Email.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk"))
        for status, pks in raise_to.items():
            for chunk in _chunks(pks, _max_params()):
                # Conditional, so a concurrent request that stored a stronger status keeps it.
                updated += (
                    Email.objects.filter(pk__in=chunk).filter(_ranked_below(status))
                    .update(recipient_delivery_status=status)
                )
        Log.objects.bulk_create(logs)
        Suppression.objects.bulk_create(suppressions, ignore_conflicts=True)
    return updated


def log_message(event: ESPEvent, provider: str = "", address: str | None = None) -> str:
    """``<recipient>: <provider> <raw event>[ at <time>][ - <detail>]``: the recipient comes
    first so :func:`events_for_email` can show events per recipient."""
    what = " ".join(part for part in (provider, event.raw_event) if part)
    address = bare_address(event.recipient) if address is None else address
    text = f"{address or '?'}: {what}"
    if event.timestamp:
        text += f" at {event.timestamp.isoformat(timespec='seconds')}"
    if event.detail:
        # Diagnostics arrive multi-line and unbounded; the timeline wants one readable line.
        text += " - " + re.sub(r"\s+", " ", event.detail).strip()[:1000]
    return text


def _ranked_below(status: int) -> Q:
    weaker = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    return Q(recipient_delivery_status__isnull=True) | Q(recipient_delivery_status__in=weaker)


def _match(keys: list[str]) -> dict[str, list[tuple[int, int | None]]]:
    """Normalized Message-ID -> [(email pk, stored delivery status)]: one query per chunk."""
    found: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    # Both spellings are looked up so the message_id index serves the query.
    for chunk in _chunks(keys, _max_params() // 2):
        variants = [v for key in chunk for v in (key, f"<{key}>")]
        rows = Email.objects.filter(message_id__in=variants).values_list(
            "pk", "message_id", "recipient_delivery_status"
        )
        for pk, message_id, status in rows:
            found[normalize_message_id(message_id)].append((pk, status))
    return found


def _max_params() -> int:
    """Bound parameters one statement may carry on this database, less a margin."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        # Django assumes 999; SQLite >= 3.32 allows 32766 and reports its real limit.
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 16
    return 65535 - 16  # PostgreSQL's protocol limit, should server-side binding be on


def _chunks(items: list, size: int) -> Iterable[list]:
    size = max(size, 1)
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- reading, for the console -------------------------------------------------------------------

DELIVERY_STATUSES = [value for value, _label in RecipientDeliveryStatus.choices]
BOUNCE_STATUSES = [S.SOFT_BOUNCED, S.UNDETERMINED_BOUNCED, S.HARD_BOUNCED]


@dataclass(frozen=True)
class DeliveryEvent:
    """One recorded provider event, as the console shows it."""

    log_id: int
    date: datetime
    status: int
    status_label: str
    recipient: str
    description: str


def events_for_email(email: Email | int) -> list[DeliveryEvent]:
    """The provider events recorded for ``email``, oldest first (one query)."""
    pk = email.pk if isinstance(email, Email) else email
    labels = dict(RecipientDeliveryStatus.choices)
    rows = Log.objects.filter(email_id=pk, status__in=DELIVERY_STATUSES).order_by("date", "pk")
    events = []
    for log in rows.only("pk", "date", "status", "message"):
        recipient, _sep, description = log.message.partition(": ")
        events.append(DeliveryEvent(log.pk, log.date, log.status, str(labels[log.status]), recipient, description))
    return events


def recipient_statuses(email: Email | int) -> dict[str, int]:
    """Each recipient's best status for ``email``, by the same ranking as the email's."""
    best: dict[str, int] = {}
    for event in events_for_email(email):
        if outranks(event.status, best.get(event.recipient)):
            best[event.recipient] = event.status
    return best


def bounce_and_complaint_counts(since: datetime | None = None) -> dict[str, dict[str, int]]:
    """``{backend alias: {'bounced': n, 'complained': n}}`` over event Logs since ``since``
    (one grouped query), for the dashboard."""
    logs = Log.objects.filter(status__in=[*BOUNCE_STATUSES, S.SPAM_COMPLAINT])
    if since is not None:
        logs = logs.filter(date__gte=since)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"bounced": 0, "complained": 0})
    for alias, status, n in logs.values_list("email__backend_alias", "status").annotate(n=Count("pk")).order_by():
        kind = "complained" if status == S.SPAM_COMPLAINT else "bounced"
        counts[alias or "default"][kind] += n
    return dict(counts)
