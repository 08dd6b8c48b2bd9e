"""The dispatcher's SMTP path puts on the wire what Django's SMTP backend would, and fails the same way."""

from __future__ import annotations

import random
import re
import smtplib
from email.mime.image import MIMEImage

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from post_office.dispatch.smtp import _sanitized, is_stock_smtp, send_smtp
from post_office.rendering.message import RelatedPartsMessage

BOUNDARIES = re.compile(rb"===============[0-9a-f]{32}==|===============\d+==")

pytestmark = pytest.mark.usefixtures("smtp_backend")


def messages():
    """One of each shape: written by post_office.rendering.wire, or serialised by Django."""
    headers = {"Date": "Wed, 25 Nov 2026 17:40:49 -0000", "X-Campaign": "spring"}
    plain = EmailMessage("Plain", "Hello\nthere\n", "Ada <ada@example.com>", ["bob@example.com"],
                         bcc=["audit@example.com"], headers={**headers, "Message-ID": "<plain@example.com>"})
    alternative = EmailMultiAlternatives("Grüße", "Grüße\n", "ada@example.com", ["Zoë <zoe@example.com>"],
                                         cc=["carol@example.com"],
                                         headers={**headers, "Message-ID": "<alt@example.com>"})
    alternative.attach_alternative("<p>Grüße</p>", "text/html")
    ascii_alternative = EmailMultiAlternatives("Hi", "Hi\n", "ada@example.com", ["bob@example.com"],
                                               headers={**headers, "Message-ID": "<ascii@example.com>"})
    ascii_alternative.attach_alternative("<p>Hi</p>", "text/html")
    related = RelatedPartsMessage("Logo", "see logo", "ada@example.com", ["bob@example.com"],
                                  headers={**headers, "Message-ID": "<rel@example.com>"},
                                  related=[_image()])
    related.attach_alternative('<img src="cid:logo">', "text/html")
    related.attach("notes.txt", "notes\n", "text/plain")
    return [plain, alternative, ascii_alternative, related]


def _image() -> MIMEImage:
    image = MIMEImage(b"GIF89a\x01\x00\x01\x00", "gif")
    image.add_header("Content-ID", "<logo>")
    return image


def test_the_server_receives_what_djangos_backend_sends(smtp_backend):
    sink = smtp_backend
    with get_connection("django.core.mail.backends.smtp.EmailBackend") as backend:
        for message in messages():
            backend.send_messages([message])
            assert send_smtp(backend, message) is True
    assert len(sink.messages) == 8
    for django_sent, ours in zip(sink.messages[0::2], sink.messages[1::2], strict=True):
        assert ours.mail_from == django_sent.mail_from
        assert ours.rcpt_tos == django_sent.rcpt_tos  # bcc included, in the same order
        assert BOUNDARIES.sub(b"B", ours.data) == BOUNDARIES.sub(b"B", django_sent.data)
    assert sink.messages[1].rcpt_tos == ["bob@example.com", "audit@example.com"]
    assert b"Content-Transfer-Encoding: 8bit" in sink.messages[3].data


def test_a_closed_connection_is_opened_and_nobody_to_send_to_sends_nothing(smtp_backend):
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert backend.connection is None
    assert send_smtp(backend, EmailMessage("No one", "x", "a@example.com", [])) is False
    assert send_smtp(backend, EmailMessage("Someone", "x", "a@example.com", ["b@example.com"])) is True
    backend.close()
    assert [m.rcpt_tos for m in smtp_backend.messages] == [["b@example.com"]]


def test_a_refusal_raises_like_djangos_backend_unless_failing_silently(smtp_backend):
    # The sink answers 550 to DATA for messages carrying this header.
    message = EmailMessage("Hi", "x", "a@example.com", ["b@example.com"], headers={"X-Fault": "550"})
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend")
    with backend, pytest.raises(smtplib.SMTPDataError) as django_raised:
        backend.send_messages([message])
    with backend, pytest.raises(smtplib.SMTPDataError) as ours_raised:
        send_smtp(backend, message)
    assert ours_raised.value.smtp_code == django_raised.value.smtp_code == 550
    with get_connection("django.core.mail.backends.smtp.EmailBackend", fail_silently=True) as backend:
        assert send_smtp(backend, message) is False
    assert smtp_backend.messages == []


def test_an_invalid_address_raises_the_error_django_raises():
    message = EmailMessage("Hi", "x", "a@example.com", ["bob@example.com", "two@@example.com"])
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend")
    with backend, pytest.raises(ValueError, match="Invalid address"):
        backend.send_messages([message])
    with backend, pytest.raises(ValueError, match="Invalid address"):
        send_smtp(backend, message)


def test_only_backends_that_send_like_djangos_smtp_backend_take_this_path():
    class Logging(SMTPBackend):
        def open(self):  # changes nothing about how messages are sent
            return super().open()

    class Rewriting(SMTPBackend):
        def _send(self, email_message):
            return super()._send(email_message)

    assert is_stock_smtp(SMTPBackend())
    assert is_stock_smtp(Logging())
    assert not is_stock_smtp(Rewriting())
    assert not is_stock_smtp(LocmemBackend())


def test_sanitized_addresses_match_djangos():
    rnd = random.Random(7)
    alphabet = "abcXYZ09.-_+!#'=?@ <>\"é"
    local, domain = "abcXYZ09.-_+=?!#'", "abcXYZ09.-"
    samples = ["ada@example.com", "Ada <ada@example.com>", "UPPER@Example.COM", "a@" + "b" * 63 + ".com",
               "a@" + "b" * 64 + ".com", "a..b@example.com", "josé@example.com", "a@bücher.de",
               "=?utf-8?q?abc?=@example.com", "=?utf-8?q?bob=40evil.com?=@example.com", "a=b?c@example.com",
               ("Name", "name@example.com")]
    samples += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(3, 25))) for _ in range(3000)]
    # Mostly plain-looking addresses, so that many take the fast path.
    samples += ["".join(rnd.choice(local) for _ in range(rnd.randint(1, 12))) + "@"
                + "".join(rnd.choice(domain) for _ in range(rnd.randint(1, 70))) for _ in range(20000)]
    fast = 0
    for address in samples:
        try:
            expected = sanitize_address(address, "utf-8")
        except Exception as exc:  # noqa: BLE001 - whatever Django raises, ours raises too
            with pytest.raises(type(exc)):
                _sanitized(address, "utf-8")
            continue
        sanitized = _sanitized(address, "utf-8")
        assert sanitized == expected, address
        fast += sanitized is address
    assert fast > 2000  # the plain-address shortcut was exercised, not only the parser
