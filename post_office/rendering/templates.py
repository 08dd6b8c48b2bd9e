"""Finding an EmailTemplate in a language and rendering its subject, text and HTML."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.mime.base import MIMEBase
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError, engines

from .. import cache
from ..conf import post_office_settings
from ..errors import InvalidTemplateError
from ..models import EmailTemplate

logger = logging.getLogger("post_office")


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    inline_images: list[MIMEBase] = field(default_factory=list)


def known_languages() -> set[str]:
    return {code for code, _label in settings.LANGUAGES}


def get_email_template(name: str, language: str = "") -> EmailTemplate:
    """The template ``name`` in ``language`` (cached); its default when no translation exists.

    Raises InvalidTemplateError for an unknown name, or for a missing translation when
    ``STRICT_TRANSLATIONS`` is on.
    """
    cached = cache.get(name, language)
    if cached is not None:
        return cached
    template = _load_template(name, language)
    cache.set(name, template, language)
    return template


def _load_template(name: str, language: str) -> EmailTemplate:
    candidates = {
        t.language: t
        for t in EmailTemplate.objects.filter(name=name, language__in={"", language})
        if t.language == "" and t.default_template_id is None or t.language == language
    }
    if language and language in candidates:
        return candidates[language]
    if "" not in candidates:
        raise InvalidTemplateError(f"template: no EmailTemplate named {name!r}.")
    if language:
        if post_office_settings.strict_translations:
            raise InvalidTemplateError(f"language: template {name!r} has no {language!r} translation.")
        logger.info("Template %r has no %r translation; using the default template.", name, language)
    return candidates[""]


def translation_of(template: EmailTemplate, language: str) -> EmailTemplate:
    """``template`` (an instance) in ``language``, falling back to itself like get_email_template."""
    if not language or template.language == language:
        return template
    base = template.default_template or template
    return get_email_template(base.name, language)


@lru_cache(maxsize=1)
def _debug_engine(libraries_key: tuple) -> Engine:
    return Engine(debug=True, libraries=dict(libraries_key))


def check_template_source(source: str) -> None:
    """Compile ``source`` and raise InvalidTemplateError naming the line on a syntax error."""
    default = engines["django"].engine if "django" in engines else Engine.get_default()
    engine = _debug_engine(tuple(sorted(default.libraries.items())))
    try:
        engine.from_string(source)
    except TemplateSyntaxError as exc:
        line = (getattr(exc, "template_debug", None) or {}).get("line")
        where = f"line {line}: " if line else ""
        raise InvalidTemplateError(f"{where}{exc}") from exc


def render_email_template(template: EmailTemplate, context: dict[str, Any] | None) -> RenderedEmail:
    """Render subject, text and HTML of ``template`` with the configured TEMPLATE_ENGINE.

    Inline images collected by ``{% inline_image %}`` come back as MIME parts.
    """
    engine = engines[post_office_settings.template_engine]
    context = dict(context or {})
    try:
        subject = _render(engine, template.subject, context)
        text = _render(engine, template.content, context)
        inline_images: list[MIMEBase] = []
        html = ""
        if template.html_content:
            compiled = engine.from_string(template.html_content)
            html = compiled.render(context)
            inline_images = list(getattr(compiled, "inline_images", []))
    except TemplateSyntaxError as exc:
        raise InvalidTemplateError(f"template {template.name!r}: {exc}") from exc
    # A subject is one header line: newlines from the template would be a header injection.
    subject = " ".join(subject.splitlines()).strip()
    return RenderedEmail(subject=subject, text=text, html=html, inline_images=inline_images)


def render_string(source: str, context: dict[str, Any] | None) -> str:
    """Render a one-off template string (``mail.send(message='Hi {{ name }}', context=...)``)."""
    if not source:
        return source
    return Engine.get_default().from_string(source).render(Context(context or {}, autoescape=False))


def _render(engine, source: str, context: dict[str, Any]) -> str:
    if not source:
        return ""
    return engine.from_string(source).render(context)
