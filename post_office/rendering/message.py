"""Building the Django ``EmailMessage`` that a stored ``Email`` delivers."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from email import encoders, message_from_bytes
from email.mime.base import MIMEBase
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMessage, SafeMIMEMultipart, SafeMIMEText

from ..conf import post_office_settings
from ..errors import AttachmentError
from .templates import RenderedEmail, render_email_template

if TYPE_CHECKING:
    from ..models import Attachment, Email


def split_reply_to(headers: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Take Reply-To out of ``headers`` (any case): Django 5 only honours the ``reply_to`` argument."""
    remaining, reply_to = {}, []
    for name, value in (headers or {}).items():
        if name.lower() == "reply-to":
            reply_to = [value] if isinstance(value, str) else list(value)
        else:
            remaining[name] = value
    return remaining, reply_to


def renders_on_delivery(email: Email) -> bool:
    """Whether ``email`` is rendered from its template when it is sent (render_on_delivery stored
    a context); otherwise its stored subject and bodies are sent, and the template is not read."""
    return bool(email.template_id) and email.context is not None


def rendered_parts(email: Email) -> RenderedEmail:
    """Subject, text and HTML of ``email``: stored, or rendered now for render_on_delivery."""
    if renders_on_delivery(email):
        return render_email_template(email.template, email.context)
    return RenderedEmail(subject=email.subject, text=email.message, html=email.html_message)


def build_message(email: Email, attachments: Iterable[Attachment] | None = None) -> EmailMessage:
    """The message ``email`` delivers. ``attachments`` lets the dispatcher pass prefetched rows."""
    parts = rendered_parts(email)
    headers, reply_to = split_reply_to(email.headers)
    if email.message_id:
        headers["Message-ID"] = email.message_id
    to, cc, bcc = email.to, email.cc, email.bcc
    override = post_office_settings.override_recipients
    if override:
        # Development redirect: never leak a copy to the real cc/bcc either.
        to, cc, bcc = override, [], []

    kwargs = dict(
        subject=parts.subject, from_email=email.from_email, to=to, cc=cc, bcc=bcc,
        headers=headers, reply_to=reply_to,
    )
    if attachments is None:
        attachments = email.attachments.all() if email.pk else []
    inline, regular = list(parts.inline_images), []
    # In the order they were attached: a join (or a prefetch) returns rows in no set order.
    for attachment in sorted(attachments, key=lambda a: a.pk or 0):
        part = attachment_part(attachment)
        if part.get("Content-ID") and part.get_content_disposition() == "inline":
            inline.append(part)
        else:
            regular.append(part)

    message: EmailMessage
    if parts.html or inline:
        message = RelatedPartsMessage(body=parts.text or parts.html, related=inline, **kwargs)
        if parts.html and parts.text:
            message.attach_alternative(parts.html, "text/html")
        elif parts.html:
            message.content_subtype = "html"
    else:
        message = EmailMessage(body=parts.text, **kwargs)
    for part in regular:
        message.attach(part)
    return message


class RelatedPartsMessage(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose ``cid:`` images sit with the body in ``multipart/related``,
    while ordinary attachments stay beside it in ``multipart/mixed``:
    ``mixed[related[alternative[text, html], image...], attachment...]``.
    """

    def __init__(self, *args, related: list[MIMEBase] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.related = list(related or [])

    def _create_message(self, msg):
        msg = self._create_alternatives(msg)
        if self.related:
            body = msg
            msg = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
            msg.attach(body)
            for part in self.related:
                msg.attach(part)
        return self._create_attachments(msg)


def attachment_part(attachment: Attachment) -> MIMEBase:
    """A MIME part for a stored Attachment, base64-encoded unless it is text, with its headers."""
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read()
    except (OSError, ValueError) as exc:
        raise AttachmentError(f"attachments: cannot read {attachment.name!r}: {exc}") from exc
    mimetype = attachment.mimetype or mimetypes.guess_type(attachment.name)[0] or "application/octet-stream"
    return make_mime_part(attachment.name, content, mimetype, attachment.headers or {})


def make_mime_part(name: str, content: bytes, mimetype: str, headers: dict[str, str]) -> MIMEBase:
    maintype, _sep, subtype = mimetype.partition("/")
    part: MIMEBase
    if mimetype == "message/rfc822":
        # RFC 2046 5.2.1: an attached message is embedded as is, never base64-encoded.
        part = SafeMIMEMessage(message_from_bytes(content), "rfc822")
    elif maintype == "text":
        try:
            text = content.decode(settings.DEFAULT_CHARSET)
        except UnicodeDecodeError:
            text = None
        if text is not None:
            part = SafeMIMEText(text, subtype or "plain", settings.DEFAULT_CHARSET)
        else:
            part = _binary_part(maintype, subtype, content)
    else:
        part = _binary_part(maintype, subtype or "octet-stream", content)
    lowered = {key.lower() for key in headers}
    if "content-disposition" not in lowered:
        disposition = "inline" if "content-id" in lowered else "attachment"
        part.add_header("Content-Disposition", disposition, filename=name)
    for key, value in headers.items():
        if key in part:
            part.replace_header(key, value)
        else:
            part.add_header(key, value)
    return part


def _binary_part(maintype: str, subtype: str, content: bytes) -> MIMEBase:
    # django-post_office forgot the transfer encoding here; raw bytes break on 7-bit relays.
    part = MIMEBase(maintype, subtype)
    part.set_payload(content)
    encoders.encode_base64(part)
    return part
