"""The public API: ``send``, ``send_many``, ``create``, ``get_queued``, ``send_queued``.

Thin: validate every argument (naming it in the error) before anything is written, build the
rows, and hand delivery to :mod:`post_office.dispatch`.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterable, Sequence
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import JSONField, QuerySet
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from .conf import post_office_settings
from .dispatch import engine
from .dispatch.claim import new_lease_token, sending_order
from .errors import InvalidEmailError, InvalidTemplateError, MissingTranslationError, UnknownBackendError
from .models import PRIORITY, STATUS, Email, EmailTemplate
from .rendering.templates import (
    check_template_source,
    get_email_template,
    known_languages,
    render_email_template,
    render_string,
    translation_of,
)
from .signals import email_queued
from .utils import (
    AttachmentFile,
    create_attachments,
    delete_attachment_files,
    parse_emails,
    parse_priority,
    read_attachments,
)

logger = logging.getLogger("post_office")
default_lockfile = "/tmp/post_office"  # accepted for compatibility; claims live in the database
# Kept for imports written against django-post_office; batches here end by BATCH_DELIVERY_TIMEOUT.
WORKER_COMPLETION_GRACE_PERIOD = 5


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
    if not isinstance(template, (EmailTemplate, str)) or not template:
        raise InvalidEmailError("template", "must be an EmailTemplate or the name of one.")
    if isinstance(template, EmailTemplate) and template.pk is None:
        raise InvalidEmailError("template", "the EmailTemplate instance must be saved first.")
    key = (template.pk if isinstance(template, EmailTemplate) else template, language)
    if memo is not None and key in memo:
        return memo[key]
    try:
        if isinstance(template, EmailTemplate):
            resolved = translation_of(template, language)
        else:
            resolved = get_email_template(template, language)
    except MissingTranslationError as exc:
        raise InvalidEmailError("language", str(exc)) from exc
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
    if email.scheduled_time and email.expires_at and email.expires_at <= email.scheduled_time:
        raise InvalidEmailError("expires_at", "is not after scheduled_time: the email could never be sent.")
    if render_on_delivery:
        email.context = _storable_context(context)
    else:
        try:
            if template is not None:
                parts = render_email_template(template, context)
                subject, message, html_message = parts.subject, parts.text, parts.html
                email._inline_images = parts.inline_images
            else:
                subject = " ".join(_render_argument("subject", subject, context).splitlines())
                message = _render_argument("message", message, context)
                html_message = _render_argument("html_message", html_message, context, autoescape=True)
        except InvalidTemplateError as exc:
            raise InvalidEmailError("template", str(exc)) from exc
        email.subject, email.message, email.html_message = subject, message, html_message
    if commit:
        email.save()
    return email


def _storable_context(context: Any) -> dict[str, Any]:
    """The context stored for render_on_delivery, refused now if CONTEXT_FIELD_CLASS cannot store it."""
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise InvalidEmailError("context", f"must be a dict, got {type(context).__name__}.")
    field = Email._meta.get_field("context")
    try:
        if isinstance(field, JSONField):
            json.dumps(context, cls=field.encoder)  # PostgreSQL's adapter would only dump at INSERT
        else:
            field.get_db_prep_save(context, connection=db_connection)
    except (TypeError, ValueError) as exc:
        raise InvalidEmailError(
            "context", f"cannot be stored for render_on_delivery by {type(field).__name__}: {exc}"
        ) from exc
    return context


def _check_headers(headers: Any) -> None:
    if headers is None:
        return
    if not isinstance(headers, dict):
        raise InvalidEmailError("headers", "must be a dict of header name -> value.")
    for name, value in headers.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if not isinstance(name, str) or not name or any(ch in name for ch in ":\r\n "):
            raise InvalidEmailError("headers", f"{name!r} is not a valid header name.")
        for item in values:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise InvalidEmailError("headers", f"{name}: {item!r} is not a text value.")
            if isinstance(item, str) and ("\n" in item or "\r" in item):
                raise InvalidEmailError("headers", f"{name}: a value may not contain a newline.")


def _render_argument(name: str, source: str, context: dict[str, Any] | None, autoescape: bool = False) -> str:
    try:
        return render_string(source, context, autoescape=autoescape)
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise InvalidEmailError(name, f"cannot render: {exc}") from exc


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
    _check_headers(headers)
    priority = parse_priority(priority)
    backend = backend or ""
    if backend:
        try:
            post_office_settings.backend_path(backend)
        except UnknownBackendError as exc:
            raise InvalidEmailError("backend", str(exc).removeprefix("backend: ")) from exc
    resolved = _resolve_template(template, language, memo) if template else None
    if resolved is not None and render_on_delivery:
        _check_compiles(resolved, memo)
    return sender, resolved, priority, backend


def _check_compiles(template: EmailTemplate, memo: dict | None) -> None:
    """A template rendered only at delivery must at least compile now, while the caller listens."""
    key = ("compiles", template.pk)
    if memo is not None and key in memo:
        return
    for part in (template.subject, template.content, template.html_content):
        try:
            check_template_source(part or "")
        except InvalidTemplateError as exc:
            raise InvalidEmailError("template", f"{template.name!r}: {exc}") from exc
    if memo is not None:
        memo[key] = True


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
    email = create(sender, recipients, cc, bcc, subject, message, html_message, context,
                   scheduled_time, expires_at, headers, template, priority, render_on_delivery,
                   commit=False, backend=backend)
    if not commit:
        return email
    if priority == PRIORITY.now:
        # Hold the claim from the start so no dispatcher races the inline delivery.
        email.lease_token = email._claimed_by_send = new_lease_token()
        email.lease_expires_at = timezone.now() + datetime.timedelta(seconds=post_office_settings.lease_duration)
    stored: list = []
    try:
        with transaction.atomic():
            email.save()
            inline_files = _inline_image_files(email)
            if files or inline_files:
                stored = create_attachments(files + inline_files)
                email.attachments.add(*stored)
    except BaseException:
        delete_attachment_files(stored)  # the rows were rolled back; their files must go too
        raise
    if priority == PRIORITY.now:
        email.dispatch(log_level=log_level)
    else:
        email_queued.send(sender=Email, emails=[email])
    return email


def _attachment_files(attachments) -> list:
    if not attachments:
        return []
    if isinstance(attachments, list) and all(isinstance(a, AttachmentFile) for a in attachments):
        return attachments  # already read (post_office.EmailBackend)
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
        # bulk_create is atomic on its own (savepoint=False): no SAVEPOINT round trips inside
        # a caller's transaction, so the query count stays one INSERT per parameter-limit batch.
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
