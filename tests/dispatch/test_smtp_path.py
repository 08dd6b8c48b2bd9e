"""The dispatcher's SMTP path puts on the wire what Django's SMTP backend would, and fails the same way."""

from __future__ import annotations

import random
import re
import smtplib
import threading
from email.mime.image import MIMEImage
from unittest import mock

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from post_office.dispatch.smtp import _sanitized, is_stock_smtp, send_smtp
from post_office.rendering.message import RelatedPartsMessage
from tests.support.smtp_sink import SmtpSink

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
    # SMTP doubles a leading dot on every line of DATA ("." alone would end the message).
    dots = EmailMessage("Dots", ".starts with a dot\n..two\n.\nlast", "ada@example.com", ["bob@example.com"],
                        headers={**headers, "Message-ID": "<dots@example.com>"})
    return [plain, alternative, ascii_alternative, related, dots]


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
    assert len(sink.messages) == 10
    for django_sent, ours in zip(sink.messages[0::2], sink.messages[1::2], strict=True):
        assert ours.mail_from == django_sent.mail_from
        assert ours.rcpt_tos == django_sent.rcpt_tos  # bcc included, in the same order
        assert BOUNDARIES.sub(b"B", ours.data) == BOUNDARIES.sub(b"B", django_sent.data)
    assert sink.messages[1].rcpt_tos == ["bob@example.com", "audit@example.com"]
    assert b"Content-Transfer-Encoding: 8bit" in sink.messages[3].data
    assert sink.messages[9].message.get_content().splitlines() == [".starts with a dot", "..two", ".", "last"]


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


def _outcome(send, backend: SMTPBackend, sink: SmtpSink) -> tuple:
    """What came of ``send()``: its error's type and SMTP details, what the sink received, and
    whether the connection is still usable (a next message goes through on it) or was closed."""
    received = len(sink.messages)
    try:
        send()
        error = None
    except smtplib.SMTPException as exc:
        error = (type(exc), getattr(exc, "smtp_code", None), getattr(exc, "recipients", None))
    arrived = [(m.mail_from, m.rcpt_tos) for m in sink.messages[received:]]
    if backend.connection.sock is None:
        state = "closed"
    else:
        backend.connection.sendmail("ada@example.com", ["next@example.com"], b"Subject: next\r\n\r\nnext\r\n")
        state = "usable"
    return error, arrived, state


@pytest.mark.parametrize(("sender", "to"), [
    ("refused-sender@example.com", ["bob@example.com"]),  # 550 to MAIL FROM
    ("closing@example.com", ["bob@example.com"]),  # 421 to MAIL FROM: the client closes
    ("ada@example.com", ["refused-1@example.com", "bob@example.com"]),  # one refused: the rest get it
    ("ada@example.com", ["refused-1@example.com", "refused-2@example.com"]),  # all refused
    ("ada@example.com", ["bob@example.com", "closing@example.com", "carol@example.com"]),  # 421 to RCPT
])
def test_refusals_end_the_transaction_as_djangos_backend_does(smtp_backend, sender, to):
    message = EmailMessage("Hi", "x", sender, to)
    with get_connection("django.core.mail.backends.smtp.EmailBackend") as django_backend:
        djangos = _outcome(lambda: django_backend.send_messages([message]), django_backend, smtp_backend)
    with get_connection("django.core.mail.backends.smtp.EmailBackend") as backend:
        ours = _outcome(lambda: send_smtp(backend, message), backend, smtp_backend)
    assert ours == djangos
    refused_all = to == ["refused-1@example.com", "refused-2@example.com"]
    assert djangos[0] is not None or djangos[1] == [(sender, ["bob@example.com"])]
    assert djangos[2] == ("closed" if "closing@example.com" in (sender, *to) else "usable")
    if refused_all:
        assert djangos[0][0] is smtplib.SMTPRecipientsRefused and set(djangos[0][2]) == set(to)


def test_while_waiting_runs_while_the_server_holds_the_message():
    # The sink holds the message until the callback lets it go: a callback run only after the
    # server's reply could not release it, and the server would answer 451 after 10 s.
    hold = threading.Event()
    with SmtpSink(hold=hold) as sink, get_connection("django.core.mail.backends.smtp.EmailBackend",
                                                      host="127.0.0.1", port=sink.port) as backend:
        backend.open()
        calls = []

        def while_waiting():
            calls.append(len(sink.messages))
            hold.set()

        sent = send_smtp(backend, EmailMessage("Hi", "x", "ada@example.com", ["bob@example.com"]),
                         while_waiting=while_waiting)
    assert sent is True and len(sink.messages) == 1
    assert calls == [0]  # once, before the server had recorded (and answered) the message


def test_a_client_class_that_sends_its_own_way_keeps_its_sendmail(smtp_backend):
    class TaggingClient(smtplib.SMTP):
        """Adds an ESMTP option to every MAIL FROM, as a client asking for DSNs would."""

        def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
            return super().sendmail(from_addr, to_addrs, msg, ["BODY=8BITMIME"], rcpt_options)

    class TaggingBackend(SMTPBackend):
        @property
        def connection_class(self):
            return TaggingClient

    calls = []
    with TaggingBackend(host="127.0.0.1", port=smtp_backend.port) as backend:
        assert is_stock_smtp(backend)
        assert send_smtp(backend, EmailMessage("Hi", "x", "ada@example.com", ["bob@example.com"]),
                         while_waiting=lambda: calls.append(len(smtp_backend.messages))) is True
    assert calls == [1]  # after its sendmail, which does not tell when the server holds the message
    [received] = smtp_backend.messages
    assert received.rcpt_tos == ["bob@example.com"]
    assert "BODY=8BITMIME" in received.mail_options  # its own sendmail spoke


def test_a_mocked_smtplib_client_gets_the_message():
    # What a project's tests do with mock.patch("smtplib.SMTP"): the mock's sendmail is called.
    client = mock.MagicMock()
    backend = SMTPBackend(host="127.0.0.1", port=1)
    backend.connection = client
    message = EmailMessage("Hi", "x", "Ada <ada@example.com>", ["bob@example.com"])

    assert send_smtp(backend, message) is True

    [call] = client.sendmail.call_args_list
    sender, recipients, data = call.args
    assert (sender, recipients) == ("Ada <ada@example.com>", ["bob@example.com"])
    assert b"Subject: Hi" in data


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
