"""Load the demo's EmailTemplates (with translations) from repo-root ``templates/``.

Layout: ``templates/post_office_demo/emails/<name>/<lang>.subject.txt``, ``<lang>.txt`` and
``<lang>.html``. ``en`` is the default template; every other language present in
``settings.LANGUAGES`` becomes a translation of it.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from post_office.models import EmailTemplate

SOURCE_DIR = Path(__file__).resolve().parents[2] / "templates" / "post_office_demo" / "emails"
DEFAULT_LANGUAGE = "en"
DESCRIPTIONS = {
    "welcome": "Sent right after sign-up.",
    "password_reset": "Password reset link; valid for a few hours.",
    "order_confirmation": "Order summary with line items; the invoice is attached.",
    "newsletter": "Monthly newsletter with inline images (logo and banner).",
}


def _read(directory: Path, language: str) -> dict[str, str]:
    def part(suffix: str) -> str:
        path = directory / f"{language}.{suffix}"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    return {"subject": part("subject.txt").strip(), "content": part("txt"), "html_content": part("html")}


def template_languages(name: str) -> list[str]:
    """Translation languages shipped for ``name`` that this project enables (never the default)."""
    enabled = {code for code, _label in settings.LANGUAGES}
    shipped = {path.name.split(".")[0] for path in (SOURCE_DIR / name).glob("*.subject.txt")}
    return sorted((shipped & enabled) - {DEFAULT_LANGUAGE})


def load_templates() -> dict[str, EmailTemplate]:
    """Create or update every demo template and its translations; returns defaults by name."""
    defaults = {}
    for directory in sorted(p for p in SOURCE_DIR.iterdir() if p.is_dir()):
        name = directory.name
        default, _created = EmailTemplate.objects.update_or_create(
            name=name, language="", default_template=None,
            defaults={"description": DESCRIPTIONS.get(name, ""), **_read(directory, DEFAULT_LANGUAGE)},
        )
        for language in template_languages(name):
            EmailTemplate.objects.update_or_create(
                name=name, language=language, default_template=default,
                defaults={"description": DESCRIPTIONS.get(name, ""), **_read(directory, language)},
            )
        defaults[name] = default
    return defaults
