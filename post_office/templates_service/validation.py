"""A template family checked as a whole: every language compiles, variables agree, no duplicates.

Works on anything with ``language``, ``subject``, ``content`` and ``html_content`` attributes
(saved ``EmailTemplate`` rows, unsaved ones built from a form, import rows), so the editor, the
importer and a script share one set of rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from .sources import SOURCE_FIELDS, source_error, template_variables


class TemplateLike(Protocol):
    language: str
    subject: str
    content: str
    html_content: str


@dataclass(frozen=True)
class Problem:
    """One finding: ``language`` ('' for the default), ``field`` (a source field or 'language')."""

    language: str
    field: str
    message: str

    def __str__(self) -> str:
        where = language_label(self.language)
        return f"{where}, {self.field}: {self.message}"


@dataclass
class FamilyReport:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def language_label(code: str) -> str:
    if not code:
        return _("Default")
    return f"{dict(settings.LANGUAGES).get(code, code)} ({code})"


def known_language_codes() -> list[str]:
    return [code for code, _label in settings.LANGUAGES]


def language_error(code: str) -> str | None:
    """Why ``code`` cannot be a translation's language, or None."""
    if code and code not in known_language_codes():
        return _("%(code)s is not one of settings.LANGUAGES (%(known)s).") % {
            "code": code, "known": ", ".join(known_language_codes())}
    return None


def check_sources(template: TemplateLike) -> dict[str, str]:
    """Field -> error message, for the source fields of one language that do not compile."""
    errors = {}
    for name in SOURCE_FIELDS:
        message = source_error(getattr(template, name, "") or "", name)
        if message:
            errors[name] = message
    return errors


def variables_of(template: TemplateLike) -> set[str]:
    used: set[str] = set()
    for name in SOURCE_FIELDS:
        used |= template_variables(getattr(template, name, "") or "")
    return used


def variable_warnings(default: TemplateLike, translations: Iterable[TemplateLike]) -> list[Problem]:
    """Variables a translation uses that the default does not, and the reverse.

    A warning, not an error: a translation may legitimately drop a greeting's ``{{ title }}``.
    """
    base = variables_of(default)
    warnings = []
    for translation in translations:
        used = variables_of(translation)
        extra, missing = sorted(used - base), sorted(base - used)
        if extra:
            warnings.append(Problem(translation.language, "variables", _(
                "uses %(names)s, which the default template does not use.") % {"names": _names(extra)}))
        if missing:
            warnings.append(Problem(translation.language, "variables", _(
                "does not use %(names)s, which the default template uses.") % {"names": _names(missing)}))
    return warnings


def _names(names: list[str]) -> str:
    return ", ".join(f"{{{{ {name} }}}}" for name in names)


def validate_family(default: TemplateLike, translations: Iterable[TemplateLike]) -> FamilyReport:
    """Check a default template and its translations together; nothing is saved."""
    translations = list(translations)
    report = FamilyReport()
    for message in check_sources(default).items():
        report.errors.append(Problem("", *message))
    seen: set[str] = set()
    for translation in translations:
        code = translation.language or ""
        if not code:
            report.errors.append(Problem(code, "language", _("A translation needs a language.")))
        elif code in seen:
            report.errors.append(Problem(code, "language", _("This language is already present.")))
        elif message := language_error(code):
            report.errors.append(Problem(code, "language", message))
        seen.add(code)
        for message in check_sources(translation).items():
            report.errors.append(Problem(code, *message))
    if report.ok:
        report.warnings = variable_warnings(default, translations)
    return report


def parse_sample_context(value: Any) -> dict[str, Any]:
    """A sample context from JSON text (or an already decoded value); ValueError names the spot."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(_("Malformed JSON at line %(line)s, column %(col)s: %(msg)s.") % {
                "line": exc.lineno, "col": exc.colno, "msg": exc.msg}) from exc
    if not isinstance(value, dict):
        raise ValueError(_("The sample context must be a JSON object, like {\"name\": \"Ada\"}."))
    return value
