"""A template in one language rendered exactly as delivery would, and made safe to look at.

The HTML comes out of :func:`post_office.rendering.message.build_message`, the function the
dispatcher delivers with, so a preview is byte-identical to what a recipient's HTML part holds
for the same template, language and context. Showing it goes through the email console's one
preview path (:func:`post_office.preview.preview_document`): the same sanitizer, ``cid:``
rewriting, sandboxed iframe and CSP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.mime.base import MIMEBase
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import Context
from django.utils.translation import gettext as _

from ..models import Email, EmailTemplate
from ..preview import InlineImage, image_from_part, note_document, preview_document
from ..rendering.message import build_message
from ..rendering.templates import translation_of
from ..template.backends.post_office import INLINE_IMAGES_KEY
from .sources import SOURCE_FIELDS, debug_engine

# The preview never leaves the server, but build_message wants a syntactically valid envelope.
_PREVIEW_RECIPIENT = "preview@example.invalid"


@dataclass
class RenderProblem:
    field: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line:
            return _("%(field)s, line %(line)s: %(message)s") % {
                "field": self.field, "line": self.line, "message": self.message}
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass
class TemplatePreview:
    language: str
    rendered_language: str = ""  # differs from ``language`` when delivery falls back to the default
    subject: str = ""
    text: str = ""
    html: str = ""  # the HTML part exactly as delivered
    images: list[InlineImage] = field(default_factory=list)
    document: str = ""  # sanitized standalone document for the sandboxed iframe
    blocked_remote_images: int = 0
    problem: RenderProblem | None = None


def render_message(template: EmailTemplate, language: str,
                   context: dict[str, Any]) -> tuple[EmailTemplate, EmailMessage]:
    """The message delivery would build for ``template`` in ``language`` with ``context``."""
    resolved = translation_of(template, language)
    email = Email(template=resolved, context=dict(context), from_email=settings.DEFAULT_FROM_EMAIL,
                  to=[_PREVIEW_RECIPIENT])
    return resolved, build_message(email, attachments=[])


def message_parts(message: EmailMessage) -> tuple[str, str, list[MIMEBase]]:
    """(text, html, inline images) of the MIME message that ``message`` puts on the wire.

    Read from ``message.message()`` itself, not from the builder's attributes, so the preview
    holds whatever delivery sends, however the parts are nested.
    """
    text = html = ""
    images: list[MIMEBase] = []
    for part in message.message().walk():
        if part.is_multipart():
            continue
        if part.get("Content-ID") and part.get_content_maintype() == "image":
            images.append(part)
        elif part.get_content_disposition() == "attachment":
            continue
        elif part.get_content_type() == "text/plain" and not text:
            text = _decoded(part)
        elif part.get_content_type() == "text/html" and not html:
            html = _decoded(part)
    return text, html, images


def _decoded(part: MIMEBase) -> str:
    payload = part.get_payload(decode=True) or b""
    return payload.decode(part.get_content_charset() or settings.DEFAULT_CHARSET)


def render_template_preview(template: EmailTemplate, language: str, context: dict[str, Any],
                            image_url: Callable[[int], str]) -> TemplatePreview:
    """Subject, text and HTML of ``template`` in ``language``; a render error becomes ``problem``.

    ``image_url(index)`` is the URL that will serve ``result.images[index]``.
    """
    result = TemplatePreview(language=language)
    try:
        resolved, message = render_message(template, language, context)
        text, html, parts = message_parts(message)
    except Exception as exc:  # a filter may raise anything; show it, never a 500
        result.problem = locate_render_error(translation_or_none(template, language), context, exc)
        result.document = note_document(str(result.problem))
        return result
    result.rendered_language = resolved.language
    # The template engine returns SafeString: a page putting these into a template must still
    # escape them, so they leave here as plain str.
    result.subject, result.text, result.html = _plain(message.subject), _plain(text), _plain(html)
    result.images = [image_from_part(part) for part in parts]
    if not html:
        result.document = note_document(_("This template has no HTML part."))
        return result
    shown = preview_document(html, result.images, image_url)
    result.document, result.blocked_remote_images = shown.document, shown.blocked_remote_images
    return result


def _plain(value: str) -> str:
    # str.__str__ of a str subclass (SafeString) gives an exact str: no "safe" mark survives.
    return str.__str__(value or "")


def translation_or_none(template: EmailTemplate, language: str) -> EmailTemplate | None:
    try:
        return translation_of(template, language)
    except Exception:  # only used to point at a line; the caller reports the error
        return None


def locate_render_error(template: EmailTemplate | None, context: dict[str, Any], error: Exception) -> RenderProblem:
    """Which field and line of ``template`` raise when rendered with ``context``.

    Delivery's engine may not run in debug mode, so the line comes from rendering again with a
    debug twin of it. Falls back to ``error`` itself when the twin renders fine.
    """
    if template is not None:
        engine = debug_engine()
        for name in SOURCE_FIELDS:
            source = getattr(template, name, "") or ""
            if not source:
                continue
            try:
                engine.from_string(source).render(Context({**context, INLINE_IMAGES_KEY: []}))
            except Exception as exc:  # reported, with its line
                info = getattr(exc, "template_debug", None) or {}
                return RenderProblem(name, info.get("line"), str(exc))
    return RenderProblem("", None, str(error))
