"""The translation catalogues: every message of the source, translated, compiled, and used."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.contrib.auth.models import User
from django.utils import translation

import post_office
from tests.support.services import require

PACKAGE = Path(post_office.__file__).parent
REPO = Path(__file__).resolve().parents[1]
LANGUAGES = sorted(path.name for path in (PACKAGE / "locale").iterdir() if path.is_dir())


def catalogue(language: str, extension: str = "po") -> Path:
    return PACKAGE / "locale" / language / "LC_MESSAGES" / f"django.{extension}"


def _messages(entries: polib.POFile | polib.MOFile) -> dict:
    return {(e.msgctxt, e.msgid, e.msgid_plural): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in entries if not e.obsolete}


def test_there_is_a_german_catalogue():
    assert "de" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_compiled(language):
    po = polib.pofile(str(catalogue(language)))
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    # The .mo that Django reads holds exactly the .po (run `make messages` after editing it).
    assert _messages(polib.mofile(str(catalogue(language, "mo")))) == _messages(po)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_brings_quotes_that_would_end_an_html_attribute(language):
    # Translated text is marked safe in templates; several land inside attributes.
    added = [e.msgid for e in polib.pofile(str(catalogue(language)))
             if '"' not in e.msgid and any('"' in text for text in (e.msgstr, *e.msgstr_plural.values()))]
    assert added == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_translation_is_the_one_django_uses(language):
    """Django merges every app's catalogue: a message another app translates too (Django's auth
    has "Email" as an address) needs a context, or ours is not the one shown."""
    shadowed = []
    with translation.override(language):
        for e in polib.pofile(str(catalogue(language))):
            if e.msgid_plural:
                used = (translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1) if e.msgctxt
                        else translation.ngettext(e.msgid, e.msgid_plural, 1))
                wanted = e.msgstr_plural[0]
            else:
                used = translation.pgettext(e.msgctxt, e.msgid) if e.msgctxt else translation.gettext(e.msgid)
                wanted = e.msgstr
            if used != wanted:
                shadowed.append((e.msgctxt, e.msgid, used))
    assert shadowed == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_every_message_of_the_source(language, tmp_path):
    require(shutil.which("xgettext") is not None, "GNU gettext (xgettext), for makemessages")
    copy = tmp_path / "post_office"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(REPO)}
    made = subprocess.run([sys.executable, "-P", "-m", "django", "makemessages", "-l", language],
                          cwd=copy, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    fresh = {key[:2] + key[2:] for key in _messages(polib.pofile(str(copy / "locale" / language /
                                                                       "LC_MESSAGES" / "django.po")))}
    committed = set(_messages(polib.pofile(str(catalogue(language)))))
    assert fresh - committed == set(), "new messages: run `make messages` and translate them"
    assert committed - fresh == set(), "messages no longer in the source: run `make messages`"


@pytest.mark.django_db
def test_the_console_speaks_german_where_the_site_does(client, settings):
    settings.LANGUAGE_CODE = "de"
    client.force_login(User.objects.create_superuser("chef", "chef@example.com", "pw"))
    page = client.get("/admin/post_office/email/").content.decode()
    assert "Fehlgeschlagene E-Mails erneut einreihen" in page  # the requeue action
    assert "E-Mails stornieren" in page  # the cancel action
