"""``mail.send()``: every argument of the spec's table, delivered over real SMTP to the sink."""

from __future__ import annotations

import datetime
import logging
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from post_office import mail
from post_office.models import PRIORITY, STATUS, Email, EmailTemplate, Log

pytestmark = pytest.mark.django_db


def only(sink):
    """The single message the sink received (fails if there are more or fewer)."""
    messages = sink.messages
    assert len(messages) == 1, [m.message["Subject"] for m in messages]
    return messages[0]


def text_parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if part.get_content_maintype() == "text"}


def test_send_returns_a_queued_email_with_the_spec_defaults(smtp_backend):
    email = mail.send("alice@example.com", subject="Hi", message="Hello")

    assert isinstance(email, Email) and email.pk
    assert email.status == STATUS.queued
    assert email.priority == PRIORITY.medium
    assert email.from_email == "webmaster@example.com"  # settings.DEFAULT_FROM_EMAIL
    assert email.backend_alias == ""
    assert email.to == ["alice@example.com"] and email.cc == [] and email.bcc == []
    assert email.scheduled_time is None and email.expires_at is None
    assert smtp_backend.messages == []  # queued, not delivered

    assert mail.send_queued() == (1, 0, 0)
    received = only(smtp_backend)
    assert received.mail_from == "webmaster@example.com"
    assert received.message["Subject"] == "Hi"
    assert received.message.get_content().strip() == "Hello"


def test_quickstart_example_delivers_plain_and_html_alternatives(smtp_backend):
    mail.send(
        "recipient@example.com", "from@example.com",
        subject="My email", message="Hi there!", html_message="Hi <strong>there</strong>!",
    )
    mail.send_queued()

    received = only(smtp_backend)
    assert received.message.get_content_type() == "multipart/alternative"
    assert text_parts(received.message) == {
        "text/plain": "Hi there!", "text/html": "Hi <strong>there</strong>!",
    }


def test_html_only_message_is_sent_as_text_html(smtp_backend):
    mail.send("a@example.com", "from@example.com", subject="S", html_message="<p>only html</p>")
    mail.send_queued()

    message = only(smtp_backend).message
    assert message.get_content_type() == "text/html"
    assert message.get_content().strip() == "<p>only html</p>"


def test_sender_with_display_name_is_kept_in_from_and_stripped_in_envelope(smtp_backend):
    mail.send(["a@example.com"], "John Smith <john@example.com>", subject="S", message="M")
    mail.send_queued()

    received = only(smtp_backend)
    assert received.mail_from == "john@example.com"
    assert received.message["From"].addresses[0].display_name == "John Smith"
    assert received.message["From"].addresses[0].addr_spec == "john@example.com"


@pytest.mark.parametrize("recipients", ["alice@example.com", ["alice@example.com"]])
def test_recipients_may_be_a_string_or_a_list(smtp_backend, recipients):
    email = mail.send(recipients, "from@example.com", subject="S", message="M")
    assert email.to == ["alice@example.com"]
    mail.send_queued()
    assert only(smtp_backend).rcpt_tos == ["alice@example.com"]


def test_display_name_with_a_comma_survives_storage_and_delivery(smtp_backend):
    email = mail.send(['"Smith, John" <john@example.com>', "b@example.com"], "from@example.com",
                      subject="S", message="M")
    email.refresh_from_db()
    assert email.to == ['"Smith, John" <john@example.com>', "b@example.com"]
    mail.send_queued()
    received = only(smtp_backend)
    assert sorted(received.rcpt_tos) == ["b@example.com", "john@example.com"]
    assert received.message["To"].addresses[0].display_name == "Smith, John"


def test_cc_is_in_the_headers_and_bcc_only_in_the_envelope(smtp_backend):
    mail.send(["to1@example.com", "Two <to2@example.com>"], "from@example.com",
              cc=["cc@example.com"], bcc=["hidden@example.com"], subject="S", message="M")
    mail.send_queued()

    received = only(smtp_backend)
    assert sorted(received.rcpt_tos) == sorted(
        ["to1@example.com", "to2@example.com", "cc@example.com", "hidden@example.com"])
    assert received.message["To"] == "to1@example.com, Two <to2@example.com>"
    assert received.message["Cc"] == "cc@example.com"
    assert "Bcc" not in received.message
    assert b"hidden@example.com" not in received.data


def test_readme_example_renders_message_strings_with_context_and_keeps_reply_to(smtp_backend):
    mail.send(
        ["recipient1@example.com"],
        "from@example.com",
        subject="Welcome!",
        message="Welcome home, {{ name }}!",
        html_message="Welcome home, <b>{{ name }}</b>!",
        headers={"Reply-to": "reply@example.com"},
        scheduled_time=datetime.date(2014, 1, 1),
        context={"name": "Alice"},
    )
    email = Email.objects.get()
    assert email.message == "Welcome home, Alice!"
    assert email.html_message == "Welcome home, <b>Alice</b>!"
    assert email.scheduled_time == datetime.datetime(2014, 1, 1, tzinfo=datetime.UTC)

    mail.send_queued()
    message = only(smtp_backend).message
    # Django 5 ignores Reply-To in extra headers; the spec promises it anyway.
    assert message["Reply-To"] == "reply@example.com"
    assert text_parts(message) == {"text/plain": "Welcome home, Alice!",
                                   "text/html": "Welcome home, <b>Alice</b>!"}


def test_context_values_are_escaped_in_html_but_not_in_plain_text(smtp_backend):
    mail.send("a@example.com", "from@example.com", subject="Hi {{ who }}",
              message="Hi {{ who }}", html_message="<p>Hi {{ who }}</p>",
              context={"who": "Tom & <Jerry>"})
    email = Email.objects.get()
    assert email.subject == "Hi Tom & <Jerry>"
    assert email.message == "Hi Tom & <Jerry>"
    assert email.html_message == "<p>Hi Tom &amp; &lt;Jerry&gt;</p>"


def test_extra_headers_arrive_on_the_message(smtp_backend):
    mail.send("a@example.com", "from@example.com", subject="S", message="M",
              headers={"X-Campaign": "spring", "List-Unsubscribe": "<mailto:u@example.com>",
                       "reply-to": ["r1@example.com", "r2@example.com"]})
    mail.send_queued()

    message = only(smtp_backend).message
    assert message["X-Campaign"] == "spring"
    assert message["List-Unsubscribe"] == "<mailto:u@example.com>"
    assert message["Reply-To"] == "r1@example.com, r2@example.com"
    assert len(message.get_all("Reply-To")) == 1


def test_every_delivered_message_carries_a_message_id(smtp_backend):
    mail.send("a@example.com", "from@example.com", subject="S", message="M")
    mail.send_queued()
    assert only(smtp_backend).message["Message-ID"]


@pytest.mark.parametrize("scheduled", [
    timezone.now() + datetime.timedelta(days=1),
    (timezone.now() + datetime.timedelta(days=2)).date(),
], ids=["datetime", "date"])
def test_scheduled_email_is_not_delivered_before_it_is_due(smtp_backend, scheduled):
    email = mail.send("a@example.com", "from@example.com", subject="S", message="M",
                      scheduled_time=scheduled)
    assert email.scheduled_time > timezone.now()

    assert mail.send_queued() == (0, 0, 0)
    assert smtp_backend.messages == []
    assert list(mail.get_queued()) == []

    Email.objects.filter(pk=email.pk).update(scheduled_time=timezone.now() - datetime.timedelta(seconds=1))
    assert mail.send_queued() == (1, 0, 0)
    assert only(smtp_backend).rcpt_tos == ["a@example.com"]


def test_naive_scheduled_time_is_taken_in_the_current_time_zone(smtp_backend):
    naive = datetime.datetime(2030, 5, 1, 12, 0)
    email = mail.send("a@example.com", "from@example.com", subject="S", message="M", scheduled_time=naive)
    email.refresh_from_db()
    assert email.scheduled_time == datetime.datetime(2030, 5, 1, 12, 0, tzinfo=datetime.UTC)


def test_expired_email_is_never_delivered(smtp_backend):
    expired = mail.send("a@example.com", "from@example.com", subject="old", message="M",
                        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    fresh = mail.send("b@example.com", "from@example.com", subject="fresh", message="M",
                      expires_at=timezone.now() + datetime.timedelta(hours=1))

    assert mail.send_queued() == (1, 0, 0)
    assert only(smtp_backend).message["Subject"] == "fresh"
    expired.refresh_from_db()
    fresh.refresh_from_db()
    assert expired.status == STATUS.queued
    assert fresh.status == STATUS.sent


def test_priority_now_delivers_inline_and_records_it(smtp_backend):
    email = mail.send("a@example.com", "from@example.com", subject="now", message="M", priority="now")

    assert email.status == STATUS.sent
    assert only(smtp_backend).message["Subject"] == "now"
    email.refresh_from_db()
    assert (email.status, email.priority, email.lease_token) == (STATUS.sent, PRIORITY.now, "")
    assert list(email.logs.values_list("status", flat=True)) == [STATUS.sent]
    assert mail.send_queued() == (0, 0, 0)  # nothing left for a dispatcher
    assert len(smtp_backend.messages) == 1


def test_priority_now_failure_is_recorded_as_failed_with_a_log(smtp_backend):
    email = mail.send("a@example.com", "from@example.com", subject="S", message="M",
                      headers={"X-Fault": "550"}, priority="now")

    assert email.status == STATUS.failed
    assert smtp_backend.messages == []
    log = Log.objects.get(email=email)
    assert log.status == STATUS.failed
    assert log.exception_type == "SMTPDataError"
    assert "550" in log.message and "Rejected by policy" in log.message


@pytest.mark.parametrize("priority, expected", [
    ("low", PRIORITY.low), ("medium", PRIORITY.medium), ("high", PRIORITY.high),
    (PRIORITY.high, PRIORITY.high), (0, PRIORITY.low),
])
def test_priority_names_and_values_are_stored(smtp_backend, priority, expected):
    assert mail.send("a@example.com", "f@example.com", subject="S", priority=priority).priority == expected


def test_backend_alias_chooses_the_backend_that_delivers(smtp_backend, settings, mailoutbox):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BACKENDS": {
        "default": "django.core.mail.backends.smtp.EmailBackend",
        "archive": "locmem.EmailBackend",  # the spec's short form for Django's own backends
    }}
    mail.send("a@example.com", "from@example.com", subject="by default", message="M")
    archived = mail.send("b@example.com", "from@example.com", subject="by archive", message="M",
                         backend="archive")
    assert archived.backend_alias == "archive"

    assert mail.send_queued() == (2, 0, 0)
    assert only(smtp_backend).message["Subject"] == "by default"
    assert [m.subject for m in mailoutbox] == ["by archive"]


def test_render_on_delivery_stores_only_template_and_context(smtp_backend):
    template = EmailTemplate.objects.create(
        name="lazy", subject="Order {{ order }}", content="Your order {{ order }} shipped.",
        html_content="<p>Your order <b>{{ order }}</b> shipped.</p>")
    email = mail.send("a@example.com", "from@example.com", template="lazy",
                      context={"order": 42}, render_on_delivery=True)

    email.refresh_from_db()
    assert (email.subject, email.message, email.html_message) == ("", "", "")
    assert email.context == {"order": 42}
    assert email.template_id == template.pk

    # Rendered at delivery, so an edit made after queuing is what goes out.
    template.subject = "Order #{{ order }}"
    template.save()
    mail.send_queued()
    message = only(smtp_backend).message
    assert message["Subject"] == "Order #42"
    assert text_parts(message) == {"text/plain": "Your order 42 shipped.",
                                   "text/html": "<p>Your order <b>42</b> shipped.</p>"}
    email.refresh_from_db()
    assert (email.subject, email.message, email.html_message) == ("", "", "")


def test_commit_false_returns_an_unsaved_email(smtp_backend):
    email = mail.send("a@example.com", "from@example.com", subject="S {{ x }}", message="M",
                      context={"x": 1}, commit=False)
    assert email.pk is None
    assert email.subject == "S 1"
    assert Email.objects.count() == 0
    email.save()
    assert mail.send_queued() == (1, 0, 0)
    assert only(smtp_backend).message["Subject"] == "S 1"


def test_template_by_name_renders_subject_text_and_html(smtp_backend):
    EmailTemplate.objects.create(
        name="morning_greeting",
        subject="Morning, {{ name|capfirst }}",
        content="Hi {{ name }}, how are you feeling today?",
        html_content="Hi <strong>{{ name }}</strong>, how are you feeling today?",
    )
    email = mail.send(["recipient@example.com"], "from@example.com", template="morning_greeting",
                      context={"name": "alice"})
    assert email.subject == "Morning, Alice"
    assert email.message == "Hi alice, how are you feeling today?"
    assert email.html_message == "Hi <strong>alice</strong>, how are you feeling today?"

    mail.send_queued()
    message = only(smtp_backend).message
    assert message["Subject"] == "Morning, Alice"
    assert text_parts(message)["text/html"] == "Hi <strong>alice</strong>, how are you feeling today?"


def test_template_instance_is_accepted(smtp_backend):
    template = EmailTemplate.objects.create(name="inst", subject="Hello {{ n }}", content="x")
    email = mail.send("a@example.com", "from@example.com", template=template, context={"n": 1},
                      priority="now")
    assert email.template == template
    assert only(smtp_backend).message["Subject"] == "Hello 1"


def test_template_subject_newlines_cannot_inject_headers(smtp_backend):
    EmailTemplate.objects.create(name="inj", subject="Hi {{ name }}", content="x")
    mail.send("a@example.com", "from@example.com", template="inj",
              context={"name": "x\nBcc: victim@example.com"}, priority="now")
    received = only(smtp_backend)
    assert received.rcpt_tos == ["a@example.com"]
    assert "Bcc" not in received.message


def test_email_queued_signal_is_sent_once_per_send(smtp_backend):
    from post_office.signals import email_queued

    seen = []

    def receiver(sender, emails, **kwargs):
        seen.append([e.pk for e in emails])

    email_queued.connect(receiver)
    try:
        email = mail.send("a@example.com", "from@example.com", subject="S", message="M")
    finally:
        email_queued.disconnect(receiver)
    assert seen == [[email.pk]]


def test_get_queued_lists_due_emails_in_sending_order(smtp_backend):
    low = mail.send("a@example.com", "f@example.com", subject="low", priority="low")
    high = mail.send("a@example.com", "f@example.com", subject="high", priority="high")
    mail.send("a@example.com", "f@example.com", subject="later", priority="high",
              scheduled_time=timezone.now() + datetime.timedelta(hours=1))
    assert list(mail.get_queued()) == [high, low]


def test_send_queued_returns_sent_failed_requeued_counts(smtp_backend):
    mail.send("a@example.com", "f@example.com", subject="ok", message="M")
    mail.send("b@example.com", "f@example.com", subject="bad", message="M", headers={"X-Fault": "550"})
    assert mail.send_queued() == (1, 1, 0)
    statuses = dict(Email.objects.values_list("subject", "status"))
    assert statuses == {"ok": STATUS.sent, "bad": STATUS.failed}


def test_a_backend_error_fails_only_that_email_and_the_batch_goes_on(smtp_backend, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 1}
    for n in range(3):
        mail.send(f"ok{n}@example.com", "f@example.com", subject=f"ok{n}", message="M")
    broken = mail.send("x@example.com", "f@example.com", subject="broken", message="M",
                       headers={"X-Fault": "550"})
    for n in range(3, 5):
        mail.send(f"ok{n}@example.com", "f@example.com", subject=f"ok{n}", message="M")

    assert mail.send_queued() == (5, 1, 0)
    assert sorted(m.message["Subject"] for m in smtp_backend.messages) == [f"ok{n}" for n in range(5)]
    broken.refresh_from_db()
    assert broken.status == STATUS.failed
    [log] = broken.logs.all()
    assert log.exception_type == "SMTPDataError" and "Rejected by policy" in log.message


def test_a_raising_backend_is_logged_with_exception_type_and_message(settings, caplog):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BACKENDS": {
        "default": "locmem.EmailBackend", "broken": "tests.test_mail.ExplodingBackend"}}
    good = mail.send("a@example.com", "f@example.com", subject="S", message="M")
    bad = mail.send("b@example.com", "f@example.com", subject="S", message="M", backend="broken")

    with caplog.at_level(logging.WARNING, logger="post_office"):
        assert mail.send_queued() == (1, 1, 0)
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == (STATUS.sent, STATUS.failed)
    [log] = bad.logs.all()
    assert (log.exception_type, log.message) == ("RuntimeError", "provider exploded")
    assert "provider exploded" in caplog.text


class ExplodingBackend:
    """A backend whose provider fails every send (for the failure-recording tests)."""

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise RuntimeError("provider exploded")


def test_due_is_queued_or_requeued_scheduled_by_now_and_not_expired():
    now = timezone.now()
    hour = datetime.timedelta(hours=1)

    def make(subject, **fields):
        email = mail.send("a@example.com", "f@example.com", subject=subject)
        Email.objects.filter(pk=email.pk).update(**fields)
        return subject

    due = {make("queued"), make("requeued", status=STATUS.requeued), make("was scheduled", scheduled_time=now - hour),
           make("expires later", expires_at=now + hour)}
    make("sent", status=STATUS.sent)
    make("failed", status=STATUS.failed)
    make("scheduled", scheduled_time=now + hour)
    make("expired", expires_at=now - hour)

    assert set(Email.objects.due().values_list("subject", flat=True)) == due
    assert set(Email.objects.due(now + 2 * hour).values_list("subject", flat=True)) == (
        due - {"expires later"}) | {"scheduled"}


def test_claimable_skips_live_leases_but_not_expired_ones():
    now = timezone.now()
    live = mail.send("a@example.com", "f@example.com", subject="live")
    stale = mail.send("a@example.com", "f@example.com", subject="stale")
    free = mail.send("a@example.com", "f@example.com", subject="free")
    Email.objects.filter(pk=live.pk).update(lease_token="x", lease_expires_at=now + datetime.timedelta(minutes=5))
    Email.objects.filter(pk=stale.pk).update(lease_token="y", lease_expires_at=now - datetime.timedelta(minutes=5))

    assert set(Email.objects.claimable()) == {stale, free}
    assert set(Email.objects.due()) == {live, stale, free}


# --- what send() writes, and in how many statements ----------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_send_without_attachments_is_one_insert_and_no_transaction():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        email = mail.send("alice@example.com", "from@example.com", subject="Hi", message="Hello")

    assert [q["sql"].split()[0] for q in captured] == ["INSERT"]  # no BEGIN/COMMIT around one row
    assert Email.objects.get(pk=email.pk).subject == "Hi"


class FailingStorage(FileSystemStorage):
    """A real file system storage whose disk is "full" for files named broken*."""

    def _save(self, name, content):
        if os.path.basename(name).startswith("broken"):
            raise OSError(28, "No space left on device (injected)")
        return super()._save(name, content)


@pytest.mark.django_db(transaction=True)
def test_an_attachment_that_cannot_be_stored_leaves_no_email_row_or_file(monkeypatch, tmp_path):
    from post_office.models import Attachment

    # The field resolved FILE_STORAGE when the model was imported: swap in the failing disk.
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", FailingStorage(location=str(tmp_path)))

    with pytest.raises(OSError, match="injected"):
        mail.send("alice@example.com", "from@example.com", subject="Hi",
                  attachments={"fine.txt": ContentFile(b"ok"), "broken.txt": ContentFile(b"x")})

    assert Email.objects.count() == 0 and Attachment.objects.count() == 0
    assert [files for _root, _dirs, files in os.walk(tmp_path) if files] == []
