"""The public API: ``send``, ``send_many``, ``create``, ``get_queued``, ``send_queued``.

Thin: validate every argument (naming it in the error) before anything is written, build the
rows, and hand delivery to :mod:`post_office.dispatch`. The checks and field values live in
:mod:`post_office.enqueue`; ``send_many``'s INSERT in :mod:`post_office.bulk_insert`.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .bulk_insert import gc_paused, insert_emails
from .conf import post_office_settings
from .dispatch import engine
from .dispatch.claim import new_lease_token, sending_order
from .enqueue import Call, email_values, validate
from .errors import InvalidEmailError
from .models import PRIORITY, Email, EmailTemplate
from .rendering.templates import renders_as_written
from .signals import email_queued
from .utils import AttachmentFile, create_attachments, delete_attachment_files, read_attachments

logger = logging.getLogger("post_office")
default_lockfile = "/tmp/post_office"  # accepted for compatibility; claims live in the database
# Kept for imports written against django-post_office; batches here end by BATCH_DELIVERY_TIMEOUT.
WORKER_COMPLETION_GRACE_PERIOD = 5


def create(sender: str, recipients: Sequence[str] | str | None = None, cc=None, bcc=None,
           subject: str = "", message: str = "", html_message: str = "",
           context: dict[str, Any] | None = None, scheduled_time=None, expires_at=None,
           headers: dict[str, str] | None = None, template: EmailTemplate | None = None,
           priority=None, render_on_delivery: bool = False, commit: bool = True,
           backend: str = "") -> Email:
    """Build (and with ``commit`` save) one Email from already validated arguments."""
    call = Call()
    priority = call.priority(priority)  # reported before the addresses, as always
    to, cc, bcc = call.addresses(recipients, "recipients"), call.addresses(cc, "cc"), call.addresses(bcc, "bcc")
    values, inline_images = email_values(
        call, sender, to, cc, bcc, subject, message, html_message, context,
        scheduled_time, expires_at, headers, template, priority, render_on_delivery, backend,
    )
    email = Email(**values)
    email._inline_images = inline_images
    if commit:
        email.save()
    return email


def send(recipients=None, sender=None, template=None, context=None, subject="", message="",
         html_message="", scheduled_time=None, expires_at=None, headers=None, priority=None,
         attachments=None, render_on_delivery=False, log_level=None, commit=True, cc=None, bcc=None,
         language="", backend="") -> Email:
    """Queue one email (or, with ``priority='now'``, deliver it right away). Returns the Email."""
    call = Call()
    checked = validate(
        call, recipients, sender, template, subject, message, html_message, cc, bcc, headers, priority,
        backend, render_on_delivery, language,
    )
    priority = checked.priority
    if not commit:
        if priority == PRIORITY.now:
            raise InvalidEmailError("priority", "'now' needs commit=True (send_many cannot send now).")
        if attachments:
            raise InvalidEmailError("attachments", "are not supported with commit=False / send_many().")
    files = _attachment_files(attachments)
    values, inline_images = email_values(
        call, checked.sender, checked.to, checked.cc, checked.bcc, subject, message, html_message, context,
        scheduled_time, expires_at, headers, checked.template, priority, render_on_delivery, checked.backend,
    )
    email = Email(**values)
    email._inline_images = inline_images
    if not commit:
        return email
    if priority == PRIORITY.now:
        # Hold the claim from the start so no dispatcher races the inline delivery.
        email.lease_token = email._claimed_by_send = new_lease_token()
        email.lease_expires_at = timezone.now() + datetime.timedelta(seconds=post_office_settings.lease_duration)
    files += _inline_image_files(email)
    if files:
        _save_with_attachments(email, files)
    else:
        email.save()  # one INSERT: atomic by itself, no BEGIN/COMMIT round trips
    if priority == PRIORITY.now:
        email.dispatch(log_level=log_level)
    else:
        email_queued.send(sender=Email, emails=[email])
    return email


def _save_with_attachments(email: Email, files: list[AttachmentFile]) -> None:
    """The email, its attachments and their links, all or nothing (files included)."""
    stored: list = []
    try:
        with transaction.atomic():
            email.save()
            stored = create_attachments(files)
            email.attachments.add(*stored)
    except BaseException:
        delete_attachment_files(stored)  # the rows were rolled back; their files must go too
        raise


def _attachment_files(attachments) -> list:
    if not attachments:
        return []
    if isinstance(attachments, list) and all(isinstance(a, AttachmentFile) for a in attachments):
        return list(attachments)  # already read (post_office.EmailBackend); copied: we append
    return read_attachments(attachments)


def _inline_image_files(email: Email) -> list:
    """Images rendered by ``{% inline_image %}`` become attachments with a Content-ID."""
    files = []
    for image in getattr(email, "_inline_images", []):
        files.append(AttachmentFile(
            name=image.get_filename() or "image", content=image.get_payload(decode=True),
            mimetype=image.get_content_type(),
            headers={"Content-ID": image["Content-ID"], "Content-Disposition": image["Content-Disposition"]},
        ))
    return files


def send_many(kwargs_list: Iterable[dict[str, Any]]) -> list[Email]:
    """Queue many emails in a few statements (one COPY on PostgreSQL, multi-row INSERTs batched
    by the parameter limit elsewhere).

    All or nothing: an invalid item raises an error that names it (``kwargs_list[3].recipients``)
    and no email is written. ``email_queued`` is sent once with every email.
    Attachments and ``priority='now'`` are refused, as in django-post_office.
    """
    with gc_paused():
        emails = _insert_many(kwargs_list)
    if emails:
        email_queued.send(sender=Email, emails=emails)
    return emails


def _insert_many(kwargs_list: Iterable[dict[str, Any]]) -> list[Email]:
    items = list(kwargs_list)
    if not items:
        return []
    call = Call()
    checked = (_checked_values(call, index, kwargs) for index, kwargs in enumerate(items))
    if all(_checked_without_templates(kwargs) for kwargs in items):
        # Checked while they stream into the database (see insert_emails), which inserts the
        # rows meanwhile: nothing in the checks queries the database, as the stream requires.
        return insert_emails(checked, len(items))
    # A template is looked up, or rendered with the project's tags and context objects, which
    # may query the database: all are checked before the rows are sent.
    return insert_emails(list(checked), len(items))


def _checked_without_templates(kwargs: dict[str, Any]) -> bool:
    """Whether checking this item renders no template and looks none up."""
    if kwargs.get("template"):
        return False
    return all(renders_as_written(kwargs.get(name, "")) for name in ("subject", "message", "html_message"))


def _checked_values(call: Call, index: int, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The Email field values of ``kwargs_list[index]``, or InvalidEmailError naming the item."""
    if kwargs.get("attachments"):
        raise InvalidEmailError(f"kwargs_list[{index}].attachments", "are not supported with send_many().")
    get = kwargs.get
    try:
        checked = validate(
            call, get("recipients"), get("sender"), get("template"), get("subject", ""),
            get("message", ""), get("html_message", ""), get("cc"), get("bcc"), get("headers"),
            get("priority"), get("backend", ""), get("render_on_delivery", False), get("language", ""),
        )
        if checked.priority == PRIORITY.now:
            raise InvalidEmailError("priority", "'now' is not supported with send_many().")
        values, inline_images = email_values(
            call, checked.sender, checked.to, checked.cc, checked.bcc, get("subject", ""),
            get("message", ""), get("html_message", ""), get("context"), get("scheduled_time"),
            get("expires_at"), get("headers"), checked.template, checked.priority,
            get("render_on_delivery", False), checked.backend,
        )
    except InvalidEmailError as exc:
        raise InvalidEmailError(f"kwargs_list[{index}].{exc.field}", str(exc).split(": ", 1)[-1]) from exc
    if inline_images:
        raise InvalidEmailError(f"kwargs_list[{index}].template",
                                "inline images need mail.send() (send_many() stores no attachments).")
    return values


def get_queued() -> QuerySet:
    """The next batch that is due, in SENDING_ORDER (not claimed: for inspection and tests)."""
    return (
        Email.objects.claimable()
        .select_related("template")
        .prefetch_related("attachments")
        .order_by(*sending_order())[: post_office_settings.batch_size]
    )


def send_queued(processes: int = 1, log_level: int | None = None) -> tuple[int, int, int]:
    """Deliver one batch per process; returns ``(sent, failed, requeued)``."""
    return engine.send_queued(processes=processes, log_level=log_level)


def send_queued_mail_until_done(lockfile: str = default_lockfile, processes: int = 1,
                                log_level: int | None = None) -> None:
    """Deliver until the queue is empty. ``lockfile`` is ignored: claims make it unnecessary."""
    engine.send_queued_until_done(processes=processes, log_level=log_level)


def attach_templates(emails: list[Email]) -> None:
    """Load the templates of ``emails`` in one query (django-post_office helper)."""
    ids = {e.template_id for e in emails if e.template_id and "template" not in e._state.fields_cache}
    templates = EmailTemplate.objects.in_bulk(ids)
    for email in emails:
        if email.template_id in templates:
            email.template = templates[email.template_id]
