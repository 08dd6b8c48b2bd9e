"""The bytes Django's SMTP backend sends for a message, written directly for the common shapes.

Django serialises every message through ``email.generator`` with the compat32 policy, which
folds each header through ``email.header.Header`` and walks the MIME tree: about 250 µs per
text+HTML email, more than the SMTP conversation itself costs on a local relay. Most queued mail
is one of two shapes: a text (or HTML) body, or text plus an HTML alternative, with short ASCII
headers. For those :func:`wire_bytes` writes the very same bytes with string formatting.

Anything else (attachments, inline images, a non-UTF-8 charset, a header that would be encoded or
folded, a body line longer than RFC 5322 allows, which Django sends quoted-printable) returns
None, and the caller lets Django serialise the message. ``tests/test_wire.py`` checks the output
byte for byte against Django's over a generated corpus, so a Django change that alters the bytes
shows up there.
"""

from __future__ import annotations

import re
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT
from django.core.mail.utils import DNS_NAME

from .boundary import new_boundary
from .message import RelatedPartsMessage

# compat32 folds a header line longer than this; shorter printable-ASCII lines pass unchanged.
MAX_HEADER_LINE = 78

# A header value that compat32 writes back exactly as given when its line is short enough:
# printable ASCII, spaces and tabs.
_VERBATIM_VALUE = re.compile(r"[\t -~]*")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext: printable ASCII except ':'
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
# Boundaries for which compat32 folds "Content-Type: multipart/alternative; boundary=..." into
# exactly two lines at the ";" (long enough to need folding, short enough to fit the second line).
_FOLDED_BOUNDARY = re.compile(r"[0-9A-Za-z=_.-]{31,60}")
# A MIME subtype with no parameters: Django re-parses and re-quotes "html; x=y" in its own way.
_SUBTYPE = re.compile(r"[A-Za-z0-9.+-]+")

# Header names Django sets itself or treats specially in EmailMessage.message().
_HANDLED = {"from", "to", "cc", "reply-to"}
_STRUCTURAL = {"subject", "content-type", "mime-version", "content-transfer-encoding"}


class _NotVerbatim(Exception):
    """This message needs Django's serialiser."""


def wire_bytes(message: EmailMessage, boundary: str | None = None) -> bytes | None:
    """What ``message.message().as_bytes(linesep="\\r\\n")`` returns, or None for a message this
    module does not write (the caller then uses Django's serialiser).

    ``boundary`` is the multipart boundary to use (a fresh random one by default).
    """
    try:
        return _serialise(message, boundary)
    except _NotVerbatim:
        return None


def _serialise(message: EmailMessage, boundary: str | None) -> bytes:
    encoding = message.encoding or settings.DEFAULT_CHARSET
    if encoding != "utf-8" or message.attachments:
        raise _NotVerbatim
    # EmailMessage.message() ignores an ``alternatives`` attribute; only the subclass sends them.
    alternatives = message.alternatives if isinstance(message, EmailMultiAlternatives) else []
    if type(message) not in (EmailMessage, EmailMultiAlternatives, RelatedPartsMessage):
        raise _NotVerbatim  # another subclass may build its MIME tree differently
    if getattr(message, "related", None):  # inline images
        raise _NotVerbatim
    if len(alternatives) > 1 or any(not _is_text(mimetype) for _content, mimetype in alternatives):
        raise _NotVerbatim

    body = _text_part(message.body, message.content_subtype)
    if alternatives:
        content, mimetype = alternatives[0]
        parts = ([body] if message.body else []) + [_text_part(content, mimetype.split("/", 1)[1])]
        boundary = boundary or new_boundary()
        if message.alternative_subtype != "alternative" or not _FOLDED_BOUNDARY.fullmatch(boundary):
            raise _NotVerbatim  # compat32 folds other Content-Type lengths differently
        head = [f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"', "MIME-Version: 1.0"]
        delimiter = f"\r\n--{boundary}\r\n".encode()
        payload = f"--{boundary}\r\n".encode() + delimiter.join(parts) + f"\r\n--{boundary}--\r\n".encode()
        return "\r\n".join(head + _headers(message, encoding)).encode() + b"\r\n\r\n" + payload
    # A single text part: its own headers come first, then the message's.
    head, _sep, text = body.partition(b"\r\n\r\n")
    return head + b"\r\n" + "\r\n".join(_headers(message, encoding)).encode() + b"\r\n\r\n" + text


def _is_text(mimetype: str) -> bool:
    return mimetype.startswith("text/")  # _text_part() checks the subtype, as the body's


def _text_part(text: str, subtype: str) -> bytes:
    """A SafeMIMEText part (headers, blank line, body) as Django's generator writes it."""
    if not isinstance(text, str):
        raise _NotVerbatim
    if _SUBTYPE.fullmatch(subtype) is None:
        raise _NotVerbatim
    # A lone surrogate raises UnicodeEncodeError in encode() below, as on Django's path.
    if any(len(line.encode()) > RFC5322_EMAIL_LINE_LENGTH_LIMIT for line in text.splitlines()):
        raise _NotVerbatim  # Django switches such a body to quoted-printable
    if "\x0b" in text or "\x0c" in text or "\x1c" in text or "\x1d" in text or "\x1e" in text \
            or "\x85" in text or "\u2028" in text or "\u2029" in text:
        raise _NotVerbatim  # str.splitlines() and the generator disagree on these line breaks
    transfer = "7bit" if text.isascii() else "8bit"
    header = (f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
              f"Content-Transfer-Encoding: {transfer}\r\n\r\n")
    return header.encode() + _LINE_BREAKS.sub("\r\n", text).encode("utf-8")


def _headers(message: EmailMessage, encoding: str) -> list[str]:
    """The header lines ``EmailMessage.message()`` adds, in its order."""
    extra = message.extra_headers
    lines = [_line("Subject", message.subject), _line("From", extra.get("From", message.from_email))]
    for name, values in (("To", message.to), ("Cc", message.cc), ("Reply-To", message.reply_to)):
        if name in extra:  # Django's rule: an extra header wins, even over no recipients
            lines.append(_line(name, extra[name]))
        elif values:
            lines.append(_line(name, ", ".join(str(v) for v in values)))
    lowered = {str(name).lower() for name in extra}
    if "date" not in lowered:
        lines.append(_line("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    if "message-id" not in lowered:
        lines.append(_line("Message-ID", make_msgid(domain=DNS_NAME)))
    for name, value in extra.items():
        if not isinstance(name, str) or name.lower() in _STRUCTURAL:
            raise _NotVerbatim
        if name.lower() not in _HANDLED:
            lines.append(_line(name, value))
    return lines


def _line(name: str, value: object) -> str:
    if not isinstance(value, str) or _HEADER_NAME.fullmatch(name) is None:
        raise _NotVerbatim
    if _VERBATIM_VALUE.fullmatch(value) is None or len(name) + 2 + len(value) > MAX_HEADER_LINE:
        raise _NotVerbatim
    return f"{name}: {value}"
