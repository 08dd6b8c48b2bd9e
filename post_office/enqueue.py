"""Checking ``mail.send()`` arguments and turning them into the field values of one Email.

Shared by ``send()``, ``create()`` and ``send_many()``. A :class:`Call` carries what every email
of one call shares (settings read once, templates looked up once, addresses and strings checked
or compiled once), so ``send_many()`` of 10,000 emails pays those costs once, not 10,000 times.
Every error is an :class:`~post_office.errors.InvalidEmailError` naming the argument.
"""

from __future__ import annotations

import datetime
import json
from email.mime.base import MIMEBase
from email.utils import make_msgid
from functools import cached_property
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection as db_connection
from django.db.models import JSONField
from django.template import Template, TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from .conf import post_office_settings
from .errors import InvalidEmailError, InvalidTemplateError, MissingTranslationError, UnknownBackendError
from .models import STATUS, Email, EmailTemplate
from .rendering.templates import (
    check_template_source,
    get_email_template,
    known_languages,
    render_email_template,
    render_string,
    translation_of,
)
from .utils import parse_emails, parse_priority


class Call:
    """State shared by the emails of one ``send()`` / ``send_many()`` call; settings are read
    lazily (on first use) so a bad argument is still reported before a bad setting."""

    def __init__(self) -> None:
        self.memo: dict = {}  # resolved templates and compile checks, by (template, language)
        self.valid_addresses: set[str] = set()
        self.compiled: dict[str, Template] = {}  # one-off subject/message strings
        self.known_backends: set[str] = set()

    @cached_property
    def message_id_domain(self) -> str | None:
        return post_office_settings.message_id_fqdn if post_office_settings.message_id_enabled else None

    @cached_property
    def default_priority(self) -> int:
        return parse_priority(None)

    def priority(self, value: Any) -> int:
        return self.default_priority if value is None else parse_priority(value)

    def addresses(self, value: Any, field: str) -> list[str]:
        return parse_emails(value, field, self.valid_addresses)

    def check_backend(self, alias: str) -> None:
        if alias in self.known_backends:
            return
        try:
            post_office_settings.backend_path(alias)
        except UnknownBackendError as exc:
            raise InvalidEmailError("backend", str(exc).removeprefix("backend: ")) from exc
        self.known_backends.add(alias)


def aware(value: datetime.date | datetime.datetime | None, field: str) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime.date):
        raise InvalidEmailError(field, f"expected a date or datetime, got {value!r}.")
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def resolve_template(template: EmailTemplate | str, language: str, memo: dict | None = None) -> EmailTemplate:
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


def check_headers(headers: Any) -> None:
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


class Checked(NamedTuple):
    """Arguments after :func:`validate`: addresses as lists, template resolved, priority an int."""

    sender: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    template: EmailTemplate | None
    priority: int
    backend: str


def validate(call: Call, recipients, sender, template, subject, message, html_message, cc, bcc, headers,
             priority, backend, render_on_delivery, language) -> Checked:
    """Check the arguments that need no rendering, in the order errors are reported."""
    if template and (subject or message or html_message):
        for name, value in (("subject", subject), ("message", message), ("html_message", html_message)):
            if value:
                raise InvalidEmailError(name, 'cannot be combined with "template".')
    if render_on_delivery and not template:
        raise InvalidEmailError("render_on_delivery", '"template" is required when it is True.')
    sender = sender or settings.DEFAULT_FROM_EMAIL
    if type(sender) is not str or sender not in call.valid_addresses:
        call.addresses([sender], "sender")
    to = call.addresses(recipients, "recipients")
    cc, bcc = call.addresses(cc, "cc"), call.addresses(bcc, "bcc")
    if not (to or cc or bcc):
        raise InvalidEmailError("recipients", "at least one recipient (recipients, cc or bcc) is required.")
    check_headers(headers)
    priority = call.priority(priority)
    backend = backend or ""
    if backend:
        call.check_backend(backend)
    resolved = resolve_template(template, language, call.memo) if template else None
    if resolved is not None and render_on_delivery:
        _check_compiles(resolved, call.memo)
    return Checked(sender, to, cc, bcc, resolved, priority, backend)


def _check_compiles(template: EmailTemplate, memo: dict) -> None:
    """A template rendered only at delivery must at least compile now, while the caller listens."""
    key = ("compiles", template.pk)
    if key in memo:
        return
    for part in (template.subject, template.content, template.html_content):
        try:
            check_template_source(part or "")
        except InvalidTemplateError as exc:
            raise InvalidEmailError("template", f"{template.name!r}: {exc}") from exc
    memo[key] = True


def email_values(call: Call, sender: str, to: list[str], cc: list[str], bcc: list[str], subject: str,
                 message: str, html_message: str,
                 context: dict[str, Any] | None, scheduled_time, expires_at, headers: dict[str, str] | None,
                 template: EmailTemplate | None, priority, render_on_delivery: bool,
                 backend: str) -> tuple[dict[str, Any], list[MIMEBase]]:
    """The field values of one Email (for ``Email(**values)``) and the inline images its
    template rendered. ``to``, ``cc`` and ``bcc`` are lists already checked by ``call.addresses``."""
    priority = call.priority(priority)
    domain = call.message_id_domain
    values: dict[str, Any] = {
        "from_email": sender, "to": to, "cc": cc, "bcc": bcc, "scheduled_time": aware(scheduled_time, "scheduled_time"),
        "expires_at": aware(expires_at, "expires_at"),
        "message_id": make_msgid(domain=domain) if domain is not None else None, "headers": headers,
        "priority": priority, "status": STATUS.queued, "backend_alias": backend, "template": template,
    }
    if values["scheduled_time"] and values["expires_at"] and values["expires_at"] <= values["scheduled_time"]:
        raise InvalidEmailError("expires_at", "is not after scheduled_time: the email could never be sent.")
    inline_images: list[MIMEBase] = []
    if render_on_delivery:
        values["context"] = storable_context(context)
        return values, inline_images
    try:
        if template is not None:
            parts = render_email_template(template, context)
            subject, message, html_message = parts.subject, parts.text, parts.html
            inline_images = parts.inline_images
        else:
            subject = " ".join(_render_argument(call, "subject", subject, context).splitlines())
            message = _render_argument(call, "message", message, context)
            html_message = _render_argument(call, "html_message", html_message, context, autoescape=True)
    except InvalidTemplateError as exc:
        raise InvalidEmailError("template", str(exc)) from exc
    values["subject"], values["message"], values["html_message"] = subject, message, html_message
    return values, inline_images


def storable_context(context: Any) -> dict[str, Any]:
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


def _render_argument(call: Call, name: str, source: str, context: dict[str, Any] | None,
                     autoescape: bool = False) -> str:
    try:
        return render_string(source, context, autoescape=autoescape,
                             compiled=call.compiled)
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise InvalidEmailError(name, f"cannot render: {exc}") from exc
