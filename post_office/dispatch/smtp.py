"""Sending over Django's own SMTP backend with less work per message than its ``send_messages``.

``EmailBackend.send_messages([message])`` takes a lock, checks the connection, parses the sender
and every recipient with ``email._header_value_parser``, and serialises the message through
``email.generator``. A delivery thread owns its connection, sends one message at a time and
sends from the same few addresses all day, so here the lock is skipped, parsed addresses are
cached, and the common message shapes are written by :mod:`post_office.rendering.wire`. What
reaches the server, and every error raised, is what ``send_messages`` would give.

Only the stock backend (or a subclass that keeps its ``send_messages`` and ``_send``) goes this
way; any other backend gets ``message.send()``.
"""

from __future__ import annotations

import re
import smtplib
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


def is_stock_smtp(connection: object) -> bool:
    """True for Django's SMTP backend and subclasses that send the way it does."""
    cls = type(connection)
    return (isinstance(connection, SMTPBackend) and cls.send_messages is SMTPBackend.send_messages
            and cls._send is SMTPBackend._send)


def send_smtp(backend: SMTPBackend, message: EmailMessage) -> bool:
    """Send ``message`` over ``backend``'s connection; False when there was nobody to send to,
    or the server refused and the backend is ``fail_silently``.

    The caller owns the connection: it is opened here if it is not, and left open for the next
    message (``send_messages`` would close a connection it opened itself).
    """
    recipients = message.recipients()
    if not recipients:
        return False
    if backend.connection is None:
        backend.open()
        if backend.connection is None:
            return False  # fail_silently, and the server could not be reached
    encoding = message.encoding or settings.DEFAULT_CHARSET
    sender = _sanitized(message.from_email, encoding)
    addresses = [_sanitized(address, encoding) for address in recipients]
    data = wire_bytes(message)
    if data is None:
        data = message.message().as_bytes(linesep="\r\n")
    try:
        backend.connection.sendmail(sender, addresses, data)
    except smtplib.SMTPException:
        if not backend.fail_silently:
            raise
        return False
    return True


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
