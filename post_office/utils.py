"""Helpers of django-post_office's ``post_office.utils``, plus attachment reading."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from .conf import PRIORITY_NAMES
from .errors import InvalidAttachmentError, InvalidEmailError
from .models import PRIORITY, Attachment, Email, EmailTemplate
from .validators import validate_email_with_name


@dataclass
class AttachmentFile:
    """An attachment read into memory, validated, not yet stored."""

    name: str
    content: bytes
    mimetype: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def send_mail(subject: str, message: str, from_email: str, recipient_list: list[str],
              html_message: str = "", scheduled_time=None, headers=None, priority=PRIORITY.medium):
    """Queue one email per recipient (django-post_office's ``send_mail``); returns the Emails."""
    from . import mail

    return [
        mail.send(recipients=[recipient], sender=from_email, subject=subject, message=message,
                  html_message=html_message, scheduled_time=scheduled_time, headers=headers,
                  priority=priority)
        for recipient in recipient_list
    ]


def get_email_template(name: str, language: str = "") -> EmailTemplate:
    from .rendering.templates import get_email_template as lookup

    return lookup(name, language)


def split_emails(emails: list, split_count: int = 1) -> list[list]:
    """Split ``emails`` into ``split_count`` lists of near-equal length (round robin)."""
    if not emails:
        return []
    return [emails[i::split_count] for i in range(split_count) if emails[i::split_count]]


# ``PRIORITY.values`` builds a new list on every access; parse_priority runs once per email.
_PRIORITY_VALUES = frozenset(PRIORITY.values)


def parse_priority(priority) -> int:
    """``'high'``/``PRIORITY.high``/``2`` -> 2; None -> DEFAULT_PRIORITY. Bad values name the field."""
    if priority is None:
        from .conf import post_office_settings

        priority = post_office_settings.default_priority
    if isinstance(priority, str):
        if priority not in PRIORITY_NAMES:
            raise InvalidEmailError(
                "priority", f"{priority!r} is not one of {', '.join(PRIORITY_NAMES)}."
            )
        return PRIORITY[priority].value
    if isinstance(priority, int) and not isinstance(priority, bool) and priority in _PRIORITY_VALUES:
        return int(priority)
    raise InvalidEmailError("priority", f"{priority!r} is not one of {', '.join(PRIORITY_NAMES)}.")


def parse_emails(emails: str | Iterable[str] | None, field_name: str = "recipients",
                 valid: set[str] | None = None) -> list[str]:
    """Normalise to a list and validate each address; the error names ``field_name``.

    ``valid`` (optional) holds addresses already accepted, e.g. the one sender of a whole
    ``send_many()``; addresses accepted here are added to it.
    """
    if not emails:
        return []
    if isinstance(emails, str):
        emails = [emails]
    elif not isinstance(emails, (list, tuple, set)):
        raise InvalidEmailError(field_name, "must be an address or a list of addresses.")
    result = []
    for address in emails:
        if not isinstance(address, str):
            raise InvalidEmailError(field_name, f"{address!r} is not an address.")
        if valid is None or address not in valid:
            try:
                validate_email_with_name(address)
            except ValidationError:
                raise InvalidEmailError(field_name, f"{address!r} is not a valid email address.") from None
            if valid is not None:
                valid.add(address)
        result.append(address)
    return result


def _read(name: str, source: Any) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise InvalidAttachmentError(f"{name!r}: cannot read {os.fspath(source)!r}: {exc.strerror}.") from exc
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        content = source.read()
        return content.encode() if isinstance(content, str) else content
    raise InvalidAttachmentError(f"{name!r}: expected a path, a file or a dict with 'file'.")


def read_attachments(attachments: dict[str, Any]) -> list[AttachmentFile]:
    """Read every attachment now, so a bad one fails ``send()`` before anything is written."""
    if not isinstance(attachments, dict):
        raise InvalidAttachmentError("must be a dict of filename -> file, path or dict.")
    files = []
    for name, value in attachments.items():
        mimetype, headers = "", {}
        if isinstance(value, dict):
            if "file" not in value:
                raise InvalidAttachmentError(f"{name!r}: a dict needs a 'file' key.")
            mimetype = value.get("mimetype") or ""
            headers = value.get("headers") or {}
            if not isinstance(headers, dict):
                raise InvalidAttachmentError(f"{name!r}: 'headers' must be a dict.")
            value = value["file"]
        content = _read(name, value)
        files.append(AttachmentFile(
            name=name, content=content, headers=headers,
            mimetype=mimetype or mimetypes.guess_type(name)[0] or "",
        ))
    return files


def create_attachments(attachment_files: dict[str, Any] | list[AttachmentFile]) -> list[Attachment]:
    """Store attachments (a ``send()``-style dict, or files from ``read_attachments``)."""
    if isinstance(attachment_files, dict):
        attachment_files = read_attachments(attachment_files)
    attachments: list[Attachment] = []
    try:
        for item in attachment_files:
            attachment = Attachment(name=item.name, mimetype=item.mimetype, headers=item.headers or None)
            attachment.file.save(item.name, ContentFile(item.content), save=False)
            attachments.append(attachment)
            attachment.save()
    except BaseException:
        delete_attachment_files(attachments)
        raise
    return attachments


def delete_attachment_files(attachments: Iterable[Attachment]) -> None:
    """Remove stored files whose rows a failed transaction rolled back (no orphans in storage)."""
    for attachment in attachments:
        if attachment.file:
            attachment.file.delete(save=False)


def cleanup_expired_mails(cutoff_date: datetime, delete_attachments: bool = True,
                          batch_size: int = 1000) -> tuple[int, int]:
    """Delete emails created before ``cutoff_date`` in batches (bounded memory), and then
    attachments no email uses any more, with their files. Returns ``(emails, attachments)``.
    """
    deleted_emails = 0
    while True:
        ids = list(Email.objects.filter(created__lt=cutoff_date).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            Email.objects.filter(pk__in=ids).delete()
        deleted_emails += len(ids)
    deleted_attachments = 0
    if delete_attachments:
        while True:
            orphans = list(Attachment.objects.filter(emails__isnull=True)[:batch_size])
            if not orphans:
                break
            for attachment in orphans:
                attachment.file.delete(save=False)
            Attachment.objects.filter(pk__in=[a.pk for a in orphans]).delete()
            deleted_attachments += len(orphans)
    return deleted_emails, deleted_attachments
