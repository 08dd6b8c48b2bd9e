"""Celery tasks. They run the same engine as ``send_queued_mail``; with ``CELERY_ENABLED`` a
delivery task is enqueued when the transaction that queued emails commits.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import router, transaction
from django.dispatch import receiver
from django.utils import timezone

from .conf import post_office_settings
from .models import Email
from .signals import email_queued


@shared_task(ignore_result=True)
def send_queued_mail(*args, **kwargs) -> tuple[int, int, int]:
    """Deliver until nothing is due. Safe to run on many workers at once (database claims)."""
    from .dispatch.engine import send_queued_until_done

    return send_queued_until_done(processes=1)


def _cleanup(days: int = 90, delete_attachments: bool = True) -> tuple[int, int]:
    from .utils import cleanup_expired_mails as cleanup

    return cleanup(timezone.now() - datetime.timedelta(days=days), delete_attachments=delete_attachments)


@shared_task(ignore_result=True)
def cleanup_mail(days: int = 90, delete_attachments: bool = True, **kwargs) -> tuple[int, int]:
    """Delete emails older than ``days`` (default 90) and orphaned attachments."""
    return _cleanup(days, delete_attachments)


@shared_task(ignore_result=True)
def cleanup_expired_mails(days: int = 90, delete_attachments: bool = True, **kwargs) -> tuple[int, int]:
    """The name django-post_office's README schedules; same as ``cleanup_mail``."""
    return _cleanup(days, delete_attachments)


@receiver(email_queued, dispatch_uid="post_office.tasks.queued_mail_handler")
def queued_mail_handler(sender, **kwargs) -> None:
    """Enqueue delivery after commit, so a worker never looks before the rows exist: one task
    per transaction, however many emails it queued (one task drains the whole queue)."""
    if not post_office_settings.celery_enabled:
        return
    connection = transaction.get_connection(router.db_for_write(Email))
    pending = getattr(connection, _PENDING_TASK, None)
    # Django keeps a transaction's callbacks in run_on_commit and drops those of a rolled back
    # savepoint or transaction: while ours is there, it will enqueue for these emails too.
    if pending is not None and any(entry[1] is pending for entry in getattr(connection, "run_on_commit", ())):
        return

    def enqueue() -> None:
        send_queued_mail.delay()

    setattr(connection, _PENDING_TASK, enqueue)
    transaction.on_commit(enqueue, using=connection.alias)


_PENDING_TASK = "post_office_pending_delivery_task"
