"""Versions of a template family: record after every save, diff two, restore one.

A version is a JSON snapshot of the family (default + translations + description + sample
context), numbered per template name. History is keyed by name so it survives deleting and
re-importing a template; renaming a template carries its history along (:func:`rename_history`).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..cache import invalidate_template
from ..errors import PostOfficeError
from ..models import Email, EmailTemplate, EmailTemplateVersion
from .sources import SOURCE_FIELDS
from .validation import language_label


class RestoreError(PostOfficeError, ValueError):
    """A version cannot be restored (the message says why)."""


def snapshot(default: EmailTemplate) -> dict[str, Any]:
    """The family of ``default`` as plain JSON data (languages keyed by code, '' = default)."""
    languages = {"": {name: getattr(default, name) or "" for name in SOURCE_FIELDS}}
    for translation in EmailTemplate.objects.filter(default_template=default).order_by("language"):
        languages[translation.language] = {name: getattr(translation, name) or "" for name in SOURCE_FIELDS}
    return {
        "name": default.name,
        "description": default.description or "",
        "sample_context": default.sample_context,
        "languages": languages,
    }


def versions(name: str):
    return EmailTemplateVersion.objects.filter(template_name=name).select_related("created_by")


def record_version(default: EmailTemplate, user=None, comment: str = "", force: bool = False) -> EmailTemplateVersion:
    """Store the current state of ``default``'s family as the next version.

    Without ``force``, a state equal to the latest version is not stored twice.
    """
    data = snapshot(default)
    for _attempt in range(3):  # two editors saving at once race for the next number
        latest = versions(default.name).order_by("-number").first()
        if latest is not None and latest.snapshot == data and not force:
            return latest
        try:
            with transaction.atomic():
                return EmailTemplateVersion.objects.create(
                    template_name=default.name, number=(latest.number if latest else 0) + 1, snapshot=data,
                    created_by=user if getattr(user, "pk", None) else None, comment=comment[:255],
                )
        except IntegrityError:
            continue
    raise RestoreError(_("Could not record a new version of %(name)s; try again.") % {"name": default.name})


def ensure_baseline(default_pk: int | None) -> None:
    """Before the first studio save of a template made elsewhere, keep its current state."""
    if not default_pk:
        return
    current = EmailTemplate.objects.filter(pk=default_pk).first()
    if current is not None and not versions(current.name).exists():
        record_version(current, None, _("State before the first edit in the console"))


def rename_family(default: EmailTemplate, old_name: str) -> None:
    """After ``default`` was renamed from ``old_name``: its translations and history follow."""
    if not old_name or old_name == default.name:
        return
    EmailTemplate.objects.filter(default_template=default).update(name=default.name)
    invalidate_template(old_name)
    invalidate_template(default.name)
    if not versions(default.name).exists():
        versions(old_name).update(template_name=default.name)


@dataclass
class FieldDiff:
    label: str
    lines: list[str]


def diff_versions(old: EmailTemplateVersion, new: EmailTemplateVersion) -> list[FieldDiff]:
    """Unified diffs, per language and field, of what changed from ``old`` to ``new``."""
    diffs = []
    for key, label in (("description", _("Description")), ("sample_context", _("Sample context"))):
        _add_diff(diffs, label, _as_text(old.snapshot.get(key)), _as_text(new.snapshot.get(key)),
                  old.number, new.number)
    old_languages, new_languages = old.snapshot.get("languages", {}), new.snapshot.get("languages", {})
    for code in sorted(set(old_languages) | set(new_languages)):
        for name in SOURCE_FIELDS:
            _add_diff(diffs, f"{language_label(code)} · {name}",
                      (old_languages.get(code) or {}).get(name, ""), (new_languages.get(code) or {}).get(name, ""),
                      old.number, new.number)
    return diffs


def _as_text(value: Any) -> str:
    if value in (None, ""):
        return ""
    return value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _add_diff(diffs: list[FieldDiff], label: str, before: str, after: str, old_number: int, new_number: int) -> None:
    if before == after:
        return
    lines = list(difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile=f"v{old_number}", tofile=f"v{new_number}", lineterm=""))
    diffs.append(FieldDiff(label, lines))


def restore_version(version: EmailTemplateVersion, user=None) -> tuple[EmailTemplate, EmailTemplateVersion]:
    """Make the family look like ``version`` again, and record that as a new version.

    A translation absent from ``version`` is deleted, unless emails were sent with it (deleting
    it would delete them: Email.template cascades), which raises RestoreError instead.
    """
    data = version.snapshot
    languages: dict[str, dict[str, str]] = data.get("languages", {})
    with transaction.atomic():
        default = EmailTemplate.objects.select_for_update().filter(
            name=version.template_name, default_template__isnull=True).order_by("pk").first()
        if default is None:
            default = EmailTemplate(name=version.template_name, language="")
        else:
            ensure_baseline(default.pk)
        default.description = data.get("description", "")
        default.sample_context = data.get("sample_context")
        for name, value in (languages.get("") or {}).items():
            setattr(default, name, value)
        default.save()
        existing = {t.language: t for t in EmailTemplate.objects.filter(default_template=default)}
        for code, fields in languages.items():
            if not code:
                continue
            translation = existing.pop(code, None) or EmailTemplate(
                default_template=default, name=default.name, language=code)
            for name, value in fields.items():
                setattr(translation, name, value)
            translation.save()
        for code, translation in existing.items():
            if Email.objects.filter(template=translation).exists():
                raise RestoreError(_(
                    "Version %(number)s has no %(language)s translation, and emails were sent with the "
                    "current one: deleting it would delete them. Empty it by hand instead.") % {
                    "number": version.number, "language": language_label(code)})
            translation.delete()
        new_version = record_version(default, user, _("Restored version %(number)s") % {"number": version.number},
                                     force=True)
    return default, new_version
