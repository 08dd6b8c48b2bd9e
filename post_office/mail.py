"""The public API: ``send``, ``send_many``, ``create``, ``get_queued``, ``send_queued``.

Thin: validate every argument (naming it in the error) before anything is written, build the
rows, and hand delivery to :mod:`post_office.dispatch`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .conf import post_office_settings
from .dispatch import engine
from .dispatch.claim import new_lease_token, sending_order
from .errors import InvalidEmailError, InvalidTemplateError
from .models import PRIORITY, STATUS, Email, EmailTemplate
from .rendering.templates import (
    get_email_template,
    known_languages,
    render_email_template,
    render_string,
    translation_of,
)
from .signals import email_queued
from .utils import create_attachments, parse_emails, parse_priority, read_attachments

default_lockfile = "/tmp/post_office"  # accepted for compatibility; claims live in the database


def _aware(value: datetime.date | datetime.datetime | None, field: str) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime.date):
        raise InvalidEmailError(field, f"expected a date or datetime, got {value!r}.")
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _resolve_template(template: EmailTemplate | str, language: str,
                      memo: dict | None = None) -> EmailTemplate:
    if language and language not in known_languages():
        raise InvalidEmailError("language", f"{language!r} is not in settings.LANGUAGES.")
    if isinstance(template, EmailTemplate):
        return translation_of(template, language)
    if not isinstance(template, str) or not template:
        raise InvalidEmailError("template", "must be an EmailTemplate or the name of one.")
    key = (template, language)
    if memo is not None and key in memo:
        return memo[key]
    try:
        resolved = get_email_template(template, language)
    except InvalidTemplateError as exc:
        raise InvalidEmailError("template", str(exc)) from exc
    if memo is not None:
        memo[key] = resolved
    return resolved


def create(sender: str, recipients: Sequence[str] | str | None = None, cc=None, bcc=None,
           subject: str = "", message: str = "", html_message: str = "",
           context: dict[str, Any] | None = None, scheduled_time=None, expires_at=None,
           headers: dict[str, str] | None = None, template: EmailTemplate | None = None,
           priority=None, render_on_delivery: bool = False, commit: bool = True,
           backend: str = "") -> Email:
    """Build (and with ``commit`` save) one Email from already validated arguments."""
    priority = parse_priority(priority)
    message_id = make_msgid(domain=post_office_settings.message_id_fqdn) \
        if post_office_settings.message_id_enabled else None
    email = Email(
        from_email=sender, to=parse_emails(recipients, "recipients"), cc=parse_emails(cc, "cc"),
        bcc=parse_emails(bcc, "bcc"), scheduled_time=_aware(scheduled_time, "scheduled_time"),
        expires_at=_aware(expires_at, "expires_at"), message_id=message_id, headers=headers,
        priority=priority, status=STATUS.queued, backend_alias=backend, template=template,
    )
    if render_on_delivery:
        email.context = context or {}
    else:
        try:
            if template is not None:
                parts = render_email_template(template, context)
                subject, message, html_message = parts.subject, parts.text, parts.html
                email._inline_images = parts.inline_images
            else:
                subject = " ".join(render_string(subject, context).splitlines())
                message = render_string(message, context)
                html_message = render_string(html_message, context)
        except InvalidTemplateError as exc:
            raise InvalidEmailError("template", str(exc)) from exc
        except Exception as exc:  # TemplateSyntaxError from a one-off message string
            raise InvalidEmailError("message", f"cannot render: {exc}") from exc
        email.subject, email.message, email.html_message = subject, message, html_message
    if commit:
        email.save()
    return email


def _validate(recipients, sender, template, subject, message, html_message, cc, bcc, headers,
              priority, backend, render_on_delivery, language, memo=None) -> tuple:
    if template and (subject or message or html_message):
        for name, value in (("subject", subject), ("message", message), ("html_message", html_message)):
            if value:
                raise InvalidEmailError(name, 'cannot be combined with "template".')
    if render_on_delivery and not template:
        raise InvalidEmailError("render_on_delivery", '"template" is required when it is True.')
    sender = sender or settings.DEFAULT_FROM_EMAIL
    parse_emails([sender], "sender")
    if not (parse_emails(recipients, "recipients") or parse_emails(cc, "cc") or parse_emails(bcc, "bcc")):
        raise InvalidEmailError("recipients", "at least one recipient (recipients, cc or bcc) is required.")
    if headers is not None and (not isinstance(headers, dict)
                                or not all(isinstance(k, str) for k in headers)):
        raise InvalidEmailError("headers", "must be a dict of header name -> value.")
    priority = parse_priority(priority)
    backend = backend or ""
    if backend:
        post_office_settings.backend_path(backend)  # raises naming the alias
    resolved = _resolve_template(template, language, memo) if template else None
    return sender, resolved, priority, backend


def send(recipients=None, sender=None, template=None, context=None, subject="", message="",
         html_message="", scheduled_time=None, expires_at=None, headers=None, priority=None,
         attachments=None, render_on_delivery=False, log_level=None, commit=True, cc=None, bcc=None,
         language="", backend="") -> Email:
    """Queue one email (or, with ``priority='now'``, deliver it right away). Returns the Email."""
    sender, template, priority, backend = _validate(
        recipients, sender, template, subject, message, html_message, cc, bcc, headers, priority,
        backend, render_on_delivery, language,
    )
    if not commit:
        if priority == PRIORITY.now:
            raise InvalidEmailError("priority", "'now' needs commit=True (send_many cannot send now).")
        if attachments:
            raise InvalidEmailError("attachments", "are not supported with commit=False / send_many().")
    files = _attachment_files(attachments)
    with transaction.atomic():
        email = create(sender, recipients, cc, bcc, subject, message, html_message, context,
                       scheduled_time, expires_at, headers, template, priority, render_on_delivery,
                       commit=False, backend=backend)
        if not commit:
            return email
        if priority == PRIORITY.now:
            # Hold the claim from the start so no dispatcher races the inline delivery.
            email.lease_token = new_lease_token()
            email.lease_expires_at = timezone.now() + datetime.timedelta(
                seconds=post_office_settings.lease_duration)
        email.save()
        inline_files = _inline_image_files(email)
        if files or inline_files:
            email.attachments.add(*create_attachments(files + inline_files))
    if priority == PRIORITY.now:
        email.dispatch(log_level=log_level)
    else:
        email_queued.send(sender=Email, emails=[email])
    return email


def _attachment_files(attachments) -> list:
    if not attachments:
        return []
    if isinstance(attachments, list):  # already read (post_office.EmailBackend)
        return attachments
    return read_attachments(attachments)


def _inline_image_files(email: Email) -> list:
    """Images rendered by ``{% inline_image %}`` become attachments with a Content-ID."""
    from .utils import AttachmentFile

    files = []
    for image in getattr(email, "_inline_images", []):
        files.append(AttachmentFile(
            name=image.get_filename() or "image", content=image.get_payload(decode=True),
            mimetype=image.get_content_type(),
            headers={"Content-ID": image["Content-ID"], "Content-Disposition": image["Content-Disposition"]},
        ))
    return files


def send_many(kwargs_list: Iterable[dict[str, Any]]) -> list[Email]:
    """Queue many emails with one bulk INSERT (batched by the database's parameter limit).

    ``email_queued`` is sent once with every email. Attachments and ``priority='now'`` are
    refused, as in django-post_office.
    """
    memo: dict = {}
    emails = []
    for index, kwargs in enumerate(kwargs_list):
        if kwargs.get("attachments"):
            raise InvalidEmailError(f"kwargs_list[{index}].attachments", "are not supported with send_many().")
        try:
            sender, template, priority, backend = _validate(
                kwargs.get("recipients"), kwargs.get("sender"), kwargs.get("template"),
                kwargs.get("subject", ""), kwargs.get("message", ""), kwargs.get("html_message", ""),
                kwargs.get("cc"), kwargs.get("bcc"), kwargs.get("headers"), kwargs.get("priority"),
                kwargs.get("backend", ""), kwargs.get("render_on_delivery", False),
                kwargs.get("language", ""), memo,
            )
            if priority == PRIORITY.now:
                raise InvalidEmailError("priority", "'now' is not supported with send_many().")
            email = create(
                sender, kwargs.get("recipients"), kwargs.get("cc"), kwargs.get("bcc"),
                kwargs.get("subject", ""), kwargs.get("message", ""), kwargs.get("html_message", ""),
                kwargs.get("context"), kwargs.get("scheduled_time"), kwargs.get("expires_at"),
                kwargs.get("headers"), template, priority, kwargs.get("render_on_delivery", False),
                commit=False, backend=backend,
            )
        except InvalidEmailError as exc:
            raise InvalidEmailError(f"kwargs_list[{index}].{exc.field}", str(exc).split(": ", 1)[-1]) from exc
        if getattr(email, "_inline_images", None):
            raise InvalidEmailError(f"kwargs_list[{index}].template",
                                    "inline images need mail.send() (send_many() stores no attachments).")
        emails.append(email)
    if emails:
        with transaction.atomic():
            Email.objects.bulk_create(emails)
        email_queued.send(sender=Email, emails=emails)
    return emails


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
