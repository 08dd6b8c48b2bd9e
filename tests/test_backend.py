"""``EMAIL_BACKEND = 'post_office.EmailBackend'``: Django's mail API queues, the dispatcher delivers
the same message Django would have sent directly."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection

from post_office import mail
from post_office.models import PRIORITY, STATUS, Attachment, Email

pytestmark = pytest.mark.django_db

HEADERS = ("Subject", "From", "To", "Cc", "Reply-To", "X-Tag")


@pytest.fixture
def queue_backend(smtp_backend, settings):
    settings.EMAIL_BACKEND = "post_office.EmailBackend"
    return smtp_backend


def leaves(message) -> list[tuple]:
    """What a reader sees: each leaf part's type, filename, disposition and decoded content."""
    return [(p.get_content_type(), p.get_filename(), p.get_content_disposition(), p.get_payload(decode=True))
            for p in message.walk() if not p.is_multipart()]


def shape(message) -> list[str]:
    return [p.get_content_type() for p in message.walk()]


def direct_and_queued(sink, build) -> tuple:
    """Send ``build()`` straight over SMTP, then through the queue; return both arrivals."""
    build().send()  # post_office.EmailBackend: queued
    assert sink.messages == []
    direct = build()
    direct.connection = get_connection("django.core.mail.backends.smtp.EmailBackend")
    direct.send()
    assert mail.send_queued() == (1, 0, 0)
    first, second = sink.messages
    return first, second


def test_send_mail_queues_and_then_delivers(queue_backend):
    assert django_mail.send_mail("Subject here", "Here is the message.", "from@example.com",
                                 ["to@example.com"], html_message="<p>Here is the message.</p>") == 1
    email = Email.objects.get()
    assert (email.status, email.priority) == (STATUS.queued, PRIORITY.medium)
    assert (email.subject, email.message, email.html_message) == (
        "Subject here", "Here is the message.", "<p>Here is the message.</p>")
    assert queue_backend.messages == []

    assert mail.send_queued() == (1, 0, 0)
    [received] = queue_backend.messages
    assert received.rcpt_tos == ["to@example.com"]
    assert shape(received.message) == ["multipart/alternative", "text/plain", "text/html"]


def test_email_multi_alternatives_arrives_as_django_would_send_it(queue_backend, tmp_path):
    attached = tmp_path / "data.bin"
    attached.write_bytes(b"\x00\x01binary\xff")

    def build():
        message = EmailMultiAlternatives(
            "Report", "See attached.", "Reports <reports@example.com>", ["a@example.com", "b@example.com"],
            cc=["cc@example.com"], bcc=["bcc@example.com"], reply_to=["reply@example.com"],
            headers={"X-Tag": "monthly"},
        )
        message.attach_alternative("<p>See <b>attached</b>.</p>", "text/html")
        message.attach("notes.txt", "some notes", "text/plain")
        message.attach("table.csv", b"a,b\n1,2\n", "text/csv")
        message.attach_file(str(attached), "application/octet-stream")
        return message

    direct, queued = direct_and_queued(queue_backend, build)

    assert sorted(queued.rcpt_tos) == sorted(direct.rcpt_tos) == sorted(
        ["a@example.com", "b@example.com", "cc@example.com", "bcc@example.com"])
    assert queued.mail_from == direct.mail_from == "reports@example.com"
    for header in HEADERS:
        assert queued.message[header] == direct.message[header], header
    assert "Bcc" not in queued.message
    assert shape(queued.message) == shape(direct.message)
    assert leaves(queued.message) == leaves(direct.message)


def test_html_only_email_message_keeps_its_subtype(queue_backend):
    def build():
        message = EmailMessage("Hi", "<h1>Hello</h1>", "f@example.com", ["a@example.com"])
        message.content_subtype = "html"
        return message

    direct, queued = direct_and_queued(queue_backend, build)
    assert shape(queued.message) == shape(direct.message) == ["text/html"]
    assert leaves(queued.message) == leaves(direct.message)


def test_attached_email_message_survives_the_queue(queue_backend):
    def build():
        inner = EmailMessage("Inner", "inner body", "x@example.com", ["y@example.com"])
        message = EmailMessage("Outer", "outer body", "f@example.com", ["a@example.com"])
        message.attach("forwarded.eml", inner.message().as_bytes(), "message/rfc822")
        return message

    direct, queued = direct_and_queued(queue_backend, build)
    assert shape(queued.message) == shape(direct.message) == ["multipart/mixed", "text/plain", "message/rfc822",
                                                              "text/plain"]
    # RFC 2046 5.2.1: a message/rfc822 part is never base64-encoded, so readers can open it.
    forwarded = queued.message.get_payload()[1]
    assert forwarded.get_content_type() == "message/rfc822"
    assert forwarded.get("Content-Transfer-Encoding") in (None, "7bit", "8bit")
    assert forwarded.get_content()["Subject"] == "Inner"
    assert "inner body" in queued.data.decode()


def test_send_messages_returns_the_number_queued(queue_backend):
    messages = [EmailMessage(f"S{n}", "b", "f@example.com", [f"u{n}@example.com"]) for n in range(3)]
    assert django_mail.get_connection().send_messages(messages) == 3
    assert Email.objects.count() == 3
    assert django_mail.send_mass_mail([("M", "b", "f@example.com", ["m@example.com"])]) == 1
    assert Email.objects.count() == 4


def test_bad_address_raises_or_is_skipped_when_failing_silently(queue_backend):
    def bad():
        return EmailMessage("S", "b", "f@example.com", ["not an address"])

    with pytest.raises(ValueError, match="recipients"):
        bad().send()
    assert bad().send(fail_silently=True) == 0
    assert Email.objects.count() == 0 and Attachment.objects.count() == 0


def test_default_priority_now_makes_the_backend_deliver_immediately(queue_backend, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "DEFAULT_PRIORITY": "now"}
    django_mail.send_mail("Now", "body", "f@example.com", ["to@example.com"])
    [received] = queue_backend.messages
    assert received.message["Subject"] == "Now"
    email = Email.objects.get()
    assert email.status == STATUS.sent
    assert email.logs.get().status == STATUS.sent
