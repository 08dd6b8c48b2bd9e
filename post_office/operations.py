"""What operators do to emails by hand: requeue failures, resend a copy, cancel what is queued.

The console's actions call these; so can a shell or a script. Each takes a queryset (already
filtered to what the user selected and may see), works through it in chunks of
:data:`CHUNK_SIZE` (bounded memory, short transactions), writes a :class:`~post_office.models.Log`
per email and returns an :class:`OperationResult` with counts.

Every status change made here goes through :func:`transition`: one conditional UPDATE, the Logs
and the ``email_queued`` signal together, so they cannot drift apart. (Delivery outcomes have
their own single writer, :func:`post_office.dispatch.record.record`.)

Cancelling does not invent a status (the spec's STATUS has sent/failed/queued/requeued only, and
code written against it must keep working): a cancelled email becomes ``failed`` with a Log
whose ``exception_type`` is :data:`CANCELLED` and whose message names who cancelled it.
Console Logs for requeue and resend carry the email's new status (``requeued`` / ``queued``),
values of the spec's STATUS that the dispatcher never writes into Log, so they stay apart from
delivery attempts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from .conf import post_office_settings
from .models import PRIORITY, QUEUED_STATUSES, STATUS, Attachment, Email, Log
from .signals import email_queued
from .stats.rollup import count_requeued

CANCELLED = "Cancelled"
CHUNK_SIZE = 1000


@dataclass
class OperationResult:
    """Counts of one operation: ``done`` emails changed (or copies made), ``skipped`` and why;
    ``ids`` are the emails changed (requeue, cancel) or created (resend)."""

    done: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skip(self, reason: str, count: int) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count


def _by_whom(actor: str | None) -> str:
    return f" by {actor}" if actor else ""


def _chunks(queryset: QuerySet) -> Iterable[list[int]]:
    """Primary keys of ``queryset`` in ascending chunks (keyset pagination: no OFFSET, no big list).

    Bounded by the largest key at the start: rows created meanwhile (resend's copies, which
    may match the same filter) are not part of the selection.
    """
    last = 0
    upper = queryset.aggregate(upper=Max("pk"))["upper"]
    if upper is None:
        return
    base = queryset.filter(pk__lte=upper).order_by("pk").values_list("pk", flat=True)
    while True:
        chunk = list(base.filter(pk__gt=last)[:CHUNK_SIZE])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def _unleased(now: datetime) -> Q:
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)


def write_logs(ids: Iterable[int], status: int, message: str, exception_type: str = "",
               now: datetime | None = None) -> None:
    now = now or timezone.now()
    Log.objects.bulk_create([
        Log(email_id=pk, status=status, message=message, exception_type=exception_type, date=now)
        for pk in ids
    ])


def _announce_queued(ids: list[int]) -> None:
    """``email_queued`` for emails that (re)entered the queue, after commit (Celery picks them up)."""
    if not ids:
        return

    def send() -> None:
        emails = list(Email.objects.filter(pk__in=ids))
        email_queued.send(sender=Email, emails=emails)

    transaction.on_commit(send)


def transition(ids: list[int], status: int, condition: Q, log_status: int, log_message: str,
               exception_type: str = "", now: datetime | None = None, **updates) -> list[int]:
    """Move the emails among ``ids`` that still match ``condition`` to ``status``.

    Rows are locked first (``SELECT ... FOR UPDATE`` where the database has it), so a dispatcher
    cannot claim an email between the check and the write; the UPDATE repeats ``condition`` for
    databases without row locks. Writes one Log per changed email and, when the new status is a
    queued one, sends ``email_queued``. Returns the ids that changed. Call inside no transaction
    or your own; it opens a (nested) atomic block.
    """
    now = now or timezone.now()
    with transaction.atomic():
        matching = list(
            Email.objects.select_for_update().filter(condition, pk__in=ids).values_list("pk", flat=True)
        )
        if not matching:
            return []
        Email.objects.filter(condition, pk__in=matching).update(status=status, last_updated=now, **updates)
        write_logs(matching, log_status, log_message, exception_type, now)
        if status in QUEUED_STATUSES:
            _announce_queued(matching)
            count_requeued(matching, now)  # the dashboard's "requeued", in the same commit
    return matching


def requeue_failed(queryset: QuerySet, actor: str | None = None) -> OperationResult:
    """Put failed emails back in the queue now, with their retry count reset.

    Skips emails that are not failed, and failed emails already past ``expires_at`` (the
    dispatcher would never send them; resend them instead).
    """
    result = OperationResult()
    now = timezone.now()
    expired = Q(expires_at__isnull=False, expires_at__lte=now)
    condition = Q(status=STATUS.failed) & ~expired
    for chunk in _chunks(queryset):
        changed = transition(
            chunk, STATUS.queued, condition, log_status=STATUS.requeued,
            log_message=f"Requeued{_by_whom(actor)}", now=now,
            number_of_retries=0, scheduled_time=now, lease_token="", lease_expires_at=None,
        )
        result.done += len(changed)
        result.ids.extend(changed)
        rest = Email.objects.filter(pk__in=set(chunk) - set(changed))
        result.skip("expired", rest.filter(expired, status=STATUS.failed).count())
        result.skip("not failed", rest.exclude(status=STATUS.failed).count())
    return result


def cancel(queryset: QuerySet, actor: str | None = None) -> OperationResult:
    """Stop queued or scheduled emails from being sent: they become ``failed`` with a
    :data:`CANCELLED` Log. Emails a dispatcher is sending right now (a live lease) are skipped:
    their fate is already decided by the SMTP server.
    """
    result = OperationResult()
    now = timezone.now()
    condition = Q(status__in=QUEUED_STATUSES) & _unleased(now)
    for chunk in _chunks(queryset):
        changed = transition(
            chunk, STATUS.failed, condition, log_status=STATUS.failed,
            log_message=f"Cancelled{_by_whom(actor)}", exception_type=CANCELLED, now=now,
            lease_token="", lease_expires_at=None,
        )
        result.done += len(changed)
        result.ids.extend(changed)
        rest = Email.objects.filter(pk__in=set(chunk) - set(changed))
        result.skip("being sent", rest.filter(status__in=QUEUED_STATUSES).count())
        result.skip("not queued", rest.exclude(status__in=QUEUED_STATUSES).count())
    return result


_COPIED_FIELDS = (
    "from_email", "to", "cc", "bcc", "subject", "message", "html_message", "headers", "template_id",
    "context", "backend_alias", "expires_at",
)


def _copy(original: Email, now: datetime) -> Email:
    copy = Email(**{name: getattr(original, name) for name in _COPIED_FIELDS})
    copy.status = STATUS.queued
    # 'now' means "deliver inline while the caller waits"; a copy waits in the queue, first.
    copy.priority = PRIORITY.high if original.priority == PRIORITY.now else original.priority
    copy.number_of_retries = 0
    copy.scheduled_time = None
    if copy.expires_at and copy.expires_at <= now:
        copy.expires_at = None  # a resend is an explicit request to deliver again
    if post_office_settings.message_id_enabled:
        copy.message_id = make_msgid(domain=post_office_settings.message_id_fqdn)
    return copy


def resend(queryset: QuerySet, actor: str | None = None) -> OperationResult:
    """Queue a new copy of each email (any status); the originals are not modified.

    The copy shares the original's attachments (re-linked, not duplicated), gets a new
    Message-ID, and a Log naming the original. ``render_on_delivery`` copies render again at
    delivery. ``result.ids`` lists the copies.
    """
    result = OperationResult()
    through = Attachment.emails.through
    for chunk in _chunks(queryset):
        now = timezone.now()
        originals = list(Email.objects.filter(pk__in=chunk).order_by("pk"))
        with transaction.atomic():
            copies = [_copy(original, now) for original in originals]
            if connection.features.can_return_rows_from_bulk_insert:
                Email.objects.bulk_create(copies)
            else:  # MySQL returns no keys from a bulk INSERT
                for copy in copies:
                    copy.save(force_insert=True)
            links = through.objects.filter(email_id__in=chunk).values_list("email_id", "attachment_id")
            copy_of = {original.pk: copy.pk for original, copy in zip(originals, copies, strict=True)}
            through.objects.bulk_create([
                through(email_id=copy_of[email_id], attachment_id=attachment_id)
                for email_id, attachment_id in links
            ])
            Log.objects.bulk_create([
                Log(email_id=copy.pk, status=STATUS.queued, date=now,
                    message=f"Resent as a copy of email #{original.pk}{_by_whom(actor)}")
                for original, copy in zip(originals, copies, strict=True)
            ])
            new_ids = [copy.pk for copy in copies]
            _announce_queued(new_ids)
        result.done += len(copies)
        result.ids.extend(new_ids)
    return result
