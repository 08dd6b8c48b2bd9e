"""``EMAIL_BACKEND = 'post_office.EmailBackend'``: Django's mail API queues into post_office."""

from __future__ import annotations

from email.mime.base import MIMEBase

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from .utils import AttachmentFile


def _attachment_files(message: EmailMessage) -> list[AttachmentFile]:
    files = []
    for item in message.attachments:
        if isinstance(item, MIMEBase):
            headers = {k: v for k, v in item.items()
                       if k.lower() not in ("content-type", "content-transfer-encoding", "mime-version")}
            content = item.get_payload(decode=True)
            if content is None and item.get_content_type() == "message/rfc822":
                content = item.get_payload(0).as_bytes()  # the attached message itself
            elif content is None:  # a multipart part: keep its bytes as sent
                content = item.as_bytes()
            files.append(AttachmentFile(name=item.get_filename() or "attachment", content=content,
                                        mimetype=item.get_content_type(), headers=headers))
        else:
            name, content, mimetype = item
            if isinstance(content, str):
                content = content.encode()
            elif isinstance(content, EmailMessage):
                content = content.message().as_bytes()
            files.append(AttachmentFile(name=name or "attachment", content=content, mimetype=mimetype or ""))
    return files


class EmailBackend(BaseEmailBackend):
    """Queues each message as an ``Email`` (priority DEFAULT_PRIORITY) instead of sending it."""

    def open(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def send_messages(self, email_messages) -> int:
        from . import mail

        queued = 0
        for message in email_messages:
            html = ""
            body = message.body
            if getattr(message, "content_subtype", "plain") == "html":
                html, body = body, ""
            for alternative in getattr(message, "alternatives", []) or []:
                content, mimetype = alternative[0], alternative[1]
                if mimetype == "text/html":
                    html = content
            headers = dict(message.extra_headers)
            if message.reply_to and not any(k.lower() == "reply-to" for k in headers):
                headers["Reply-To"] = ", ".join(message.reply_to)
            try:
                mail.send(
                    recipients=list(message.to), sender=message.from_email, subject=message.subject,
                    message=body, html_message=html, cc=list(message.cc), bcc=list(message.bcc),
                    headers=headers or None, attachments=_attachment_files(message),
                )
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            queued += 1
        return queued
