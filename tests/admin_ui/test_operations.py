"""requeue_failed / resend / cancel as plain functions: what they change, what they skip, the
Logs they write, and that the dispatcher then really delivers (or does not) over SMTP."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from post_office import mail, operations
from post_office.models import STATUS, Email, Log
from post_office.signals import email_queued

pytestmark = pytest.mark.django_db


def test_requeue_resets_retries_schedules_now_and_logs(failed_email):
    email = failed_email()
    before = timezone.now()
    result = operations.requeue_failed(Email.objects.filter(pk=email.pk), actor="alice")
    assert (result.done, result.skipped, result.ids) == (1, {}, [email.pk])
    email.refresh_from_db()
    assert email.status == STATUS.queued
    assert email.number_of_retries == 0
    assert before <= email.scheduled_time <= timezone.now()
    log = email.logs.get()
    assert (log.status, log.message, log.exception_type) == (STATUS.requeued, "Requeued by alice", "")


def test_requeue_skips_emails_that_are_not_failed_or_have_expired(failed_email, make_email):
    failed = failed_email()
    sent = make_email(status=STATUS.sent)
    queued = make_email()
    expired = failed_email(expires_at=timezone.now() + datetime.timedelta(seconds=30))
    Email.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    result = operations.requeue_failed(Email.objects.all())
    assert result.done == 1 and result.ids == [failed.pk]
    assert result.skipped == {"not failed": 2, "expired": 1}
    assert Email.objects.get(pk=sent.pk).status == STATUS.sent
    assert Email.objects.get(pk=queued.pk).status == STATUS.queued
    assert Email.objects.get(pk=expired.pk).status == STATUS.failed
    assert Log.objects.count() == 1


def test_requeued_emails_are_delivered_by_the_dispatcher(failed_email, smtp_backend):
    emails = [failed_email(recipients=[f"user{i}@example.com"]) for i in range(3)]
    assert mail.send_queued() == (0, 0, 0)  # failed emails are not picked up
    operations.requeue_failed(Email.objects.filter(pk__in=[e.pk for e in emails]))
    assert mail.send_queued() == (3, 0, 0)
    assert sorted(m.rcpt_tos[0] for m in smtp_backend.messages) == [f"user{i}@example.com" for i in range(3)]
    assert set(Email.objects.values_list("status", flat=True)) == {STATUS.sent}


def test_resend_queues_a_copy_sharing_attachments_and_leaves_the_original_untouched(
        email_with_inline_image, smtp_backend, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MESSAGE_ID_ENABLED": True}
    original = email_with_inline_image(headers={"X-Order": "42"})
    Email.objects.filter(pk=original.pk).update(status=STATUS.sent)
    original.refresh_from_db()
    snapshot = {f.attname: getattr(original, f.attname) for f in Email._meta.concrete_fields}

    result = operations.resend(Email.objects.filter(pk=original.pk), actor="bob")

    [copy_pk] = result.ids
    copy = Email.objects.get(pk=copy_pk)
    assert copy.status == STATUS.queued and copy.pk != original.pk
    assert (copy.to, copy.subject, copy.html_message, copy.headers) == (
        original.to, original.subject, original.html_message, original.headers)
    assert copy.message_id and copy.message_id != original.message_id
    assert sorted(copy.attachments.values_list("pk", flat=True)) == sorted(
        original.attachments.values_list("pk", flat=True))
    assert copy.logs.get().message == f"Resent as a copy of email #{original.pk} by bob"
    original.refresh_from_db()
    assert {f.attname: getattr(original, f.attname) for f in Email._meta.concrete_fields} == snapshot
    assert not original.logs.exists()

    assert mail.send_queued() == (1, 0, 0)
    [received] = smtp_backend.messages
    assert received.message["X-Order"] == "42"
    assert received.message["Message-ID"] == copy.message_id
    names = sorted(part.get_filename() for part in received.message.walk() if part.get_filename())
    assert names == ["invoice.pdf", "logo.png"]


def test_cancel_marks_queued_and_scheduled_emails_failed_with_a_cancelled_log(make_email, smtp_backend):
    queued = make_email()
    scheduled = make_email(scheduled_time=timezone.now() + datetime.timedelta(days=1))
    make_email(status=STATUS.sent)
    being_sent = make_email()
    Email.objects.filter(pk=being_sent.pk).update(
        lease_token="abc", lease_expires_at=timezone.now() + datetime.timedelta(minutes=5))

    result = operations.cancel(Email.objects.all(), actor="carol")

    assert sorted(result.ids) == sorted([queued.pk, scheduled.pk])
    assert result.skipped == {"not queued": 1, "being sent": 1}
    for email in (queued, scheduled):
        email.refresh_from_db()
        assert email.status == STATUS.failed
        log = email.logs.get()
        assert (log.status, log.exception_type, log.message) == (STATUS.failed, "Cancelled", "Cancelled by carol")
    assert Email.objects.get(pk=being_sent.pk).status == STATUS.queued
    Email.objects.filter(pk=being_sent.pk).update(lease_token="", lease_expires_at=None)
    assert mail.send_queued() == (1, 0, 0)  # only the one that was not cancelled
    assert [m.rcpt_tos for m in smtp_backend.messages] == [["alice@example.com"]]


def test_operations_announce_requeued_and_resent_emails_after_commit(
        failed_email, django_capture_on_commit_callbacks):
    email = failed_email()
    seen: list[list[int]] = []

    def receiver(sender, emails, **kwargs):
        seen.append(sorted(e.pk for e in emails))

    email_queued.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            operations.requeue_failed(Email.objects.filter(pk=email.pk))
            assert seen == []  # not before the transaction commits
        with django_capture_on_commit_callbacks(execute=True):
            copy_ids = operations.resend(Email.objects.filter(pk=email.pk)).ids
    finally:
        email_queued.disconnect(receiver)
    assert seen == [[email.pk], copy_ids]


def test_operations_work_through_large_selections_in_chunks(failed_email, monkeypatch):
    monkeypatch.setattr(operations, "CHUNK_SIZE", 2)
    emails = [failed_email() for _ in range(5)]
    result = operations.requeue_failed(Email.objects.all())
    assert sorted(result.ids) == sorted(e.pk for e in emails)
    assert Email.objects.filter(status=STATUS.queued).count() == 5
    assert operations.resend(Email.objects.all()).done == 5
    assert Email.objects.count() == 10
