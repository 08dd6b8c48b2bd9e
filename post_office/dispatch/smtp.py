"""Sending over Django's own SMTP backend with less work per message than its ``send_messages``.

``EmailBackend.send_messages([message])`` takes a lock, checks the connection, parses the sender
and every recipient with ``email._header_value_parser``, and serialises the message through
``email.generator``. A delivery thread owns its connection, sends one message at a time and
sends from the same few addresses all day, so here the lock is skipped, parsed addresses are
cached, and the common message shapes are written by :mod:`post_office.rendering.wire`. What
reaches the server, and every error raised, is what ``send_messages`` would give.

The SMTP transaction is smtplib's ``sendmail`` conversation with two differences: addresses
Django already sanitised are not parsed again, and the caller can run work (building its next
message) between writing a message and reading the server's verdict on it, the moment the
server is busiest with it and the connection would otherwise sit idle.

Only the stock backend (or a subclass that keeps its ``send_messages`` and ``_send``) goes this
way; any other backend gets ``message.send()``.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from ..rendering.boundary import new_boundary
from ..rendering.wire import wire_bytes

# A bare ASCII addr-spec (dot-atom local part, LDH domain labels IDNA accepts as they are):
# sanitize_address() returns it unchanged. Recipients are mostly like this and rarely repeat.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]{{1,63}}(?:\.[A-Za-z0-9-]{{1,63}})*")
# smtplib's dot-stuffing (RFC 5321 4.5.2): a line starting with "." gets another.
_LEADING_DOT = re.compile(rb"(?m)^\.")


def is_stock_smtp(connection: object) -> bool:
    """True for Django's SMTP backend and subclasses that send the way it does."""
    cls = type(connection)
    return (isinstance(connection, SMTPBackend) and cls.send_messages is SMTPBackend.send_messages
            and cls._send is SMTPBackend._send)


@dataclass(frozen=True)
class Envelope:
    """What an SMTP transaction sends: MAIL FROM, one RCPT TO per recipient, and the DATA."""

    sender: str
    recipients: list[str]
    data: bytes


def envelope_of(message: EmailMessage) -> Envelope | None:
    """The envelope Django's SMTP backend would send ``message`` in; None when it has nobody to
    send to. Raises what the backend raises for an address it cannot encode."""
    recipients = message.recipients()
    if not recipients:
        return None
    encoding = message.encoding or settings.DEFAULT_CHARSET
    data = wire_bytes(message)
    if data is None:
        data = message.message().as_bytes(linesep="\r\n")
    return Envelope(_sanitized(message.from_email, encoding),
                    [_sanitized(address, encoding) for address in recipients], data)


def send_smtp(backend: SMTPBackend, message: EmailMessage, envelope: Envelope | None = None,
              while_waiting: Callable[[], None] | None = None) -> bool:
    """Send ``message`` over ``backend``'s connection; False when there was nobody to send to,
    or the server refused and the backend is ``fail_silently``.

    ``envelope``: ``envelope_of(message)``, when the caller built it already. ``while_waiting`` runs
    once the message is written, while the server digests it (it must not raise).

    The caller owns the connection: it is opened here if it is not, and left open for the next
    message (``send_messages`` would close a connection it opened itself).
    """
    envelope = envelope or envelope_of(message)
    if envelope is None:
        return False
    if backend.connection is None:
        backend.open()
        if backend.connection is None:
            return False  # fail_silently, and the server could not be reached
    try:
        transact(backend.connection, envelope, while_waiting)
    except smtplib.SMTPException:
        if not backend.fail_silently:
            raise
        return False
    return True


def transact(client: smtplib.SMTP, envelope: Envelope, while_waiting: Callable[[], None] | None = None) -> None:
    """``client.sendmail(envelope.sender, envelope.recipients, envelope.data)``: the same
    commands, the same errors, the same recovery (RSET, or closing after a 421).

    A client that changes how mail is sent (its own ``sendmail``, ``mail``, ``rcpt`` or ``data``,
    or a mock of smtplib) gets its own ``sendmail``, and ``while_waiting`` runs after it.
    """
    if not _sends_like_smtplib(client):
        client.sendmail(envelope.sender, envelope.recipients, envelope.data)
        if while_waiting is not None:
            while_waiting()
        return
    client.ehlo_or_helo_if_needed()
    size = f" size={len(envelope.data)}" if client.does_esmtp and client.has_extn("size") else ""
    client.putcmd("mail", f"FROM:{_quoted(envelope.sender)}{size}")
    code, reply = client.getreply()
    if code != 250:
        _recover(client, code)
        raise smtplib.SMTPSenderRefused(code, reply, envelope.sender)
    refused = {}
    for recipient in envelope.recipients:
        client.putcmd("rcpt", f"TO:{_quoted(recipient)}")
        code, reply = client.getreply()
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            client.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(envelope.recipients):
        _reset(client)
        raise smtplib.SMTPRecipientsRefused(refused)
    client.putcmd("data")
    code, reply = client.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    client.send(_dot_stuffed(envelope.data))
    if while_waiting is not None:
        while_waiting()
    code, reply = client.getreply()
    if code != 250:
        _recover(client, code)
        raise smtplib.SMTPDataError(code, reply)


# smtplib's own sending methods, as imported. A client whose class or instance has others (its own
# sendmail, or a test's mock of smtplib) sends its own way.
_SMTPLIB_SENDING = {name: getattr(smtplib.SMTP, name) for name in ("sendmail", "mail", "rcpt", "data")}


def _sends_like_smtplib(client: object) -> bool:
    own = getattr(client, "__dict__", {})
    return all(getattr(type(client), name, None) is method and name not in own
               for name, method in _SMTPLIB_SENDING.items())


def _recover(client: smtplib.SMTP, code: int) -> None:
    """What sendmail does after a refusal: a 421 means the server is closing; otherwise RSET."""
    if code == 421:
        client.close()
    else:
        _reset(client)


def _reset(client: smtplib.SMTP) -> None:
    # A server gone by now is news for the next command, as in sendmail: the refusal is this one's.
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        client.rset()


def _dot_stuffed(data: bytes) -> bytes:
    """``data`` as DATA sends it: a leading dot doubled on every line, CRLF, then the lone dot."""
    if data.startswith(b".") or b"\n." in data:
        data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


@lru_cache(maxsize=2048)
def _quoted_parsed(address: str) -> str:
    return smtplib.quoteaddr(address)


def _quoted(address: str) -> str:
    """``smtplib.quoteaddr(address)``: the <addr-spec> of an address Django sanitised."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"  # quoteaddr's result, without parsing
    return _quoted_parsed(address)


@lru_cache(maxsize=2048)
def _cached_sanitize(address: str | tuple, encoding: str) -> str:
    return sanitize_address(address, encoding)


def _sanitized(address, encoding: str) -> str:
    # "=?" starts an RFC 2047 encoded word, which Django's parser decodes even in a local part.
    if isinstance(address, str) and "=?" not in address and _PLAIN_ADDRESS.fullmatch(address):
        return address  # what sanitize_address returns for it, without parsing it
    try:
        return _cached_sanitize(address, encoding)
    except TypeError:  # unhashable (a list pair): not cacheable, same result
        return sanitize_address(address, encoding)


def with_random_boundaries(mime: Message) -> Message:
    """Give each multipart of ``mime`` a random 128-bit boundary before it is serialised.

    Without one, ``email.generator`` invents a boundary per part and compiles and runs a regex over
    the whole serialized part to prove the boundary does not occur in it: about a quarter of
    ``as_bytes()`` for a typical text+HTML email. 128 secure random bits drawn after the content
    exists cannot occur in it except by a 2**-128 chance, so the check buys nothing. Parts that
    already have a boundary (an attached message/rfc822) keep theirs.
    """
    for part in mime.walk():
        if part.get_content_maintype() == "multipart" and part.get_boundary() is None:
            part.set_boundary(new_boundary())
    return mime
