"""The German catalogue: every message of the source, translated, compiled, and used."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.contrib.auth.models import User

import post_office
from tests.support.services import require

PACKAGE = Path(post_office.__file__).parent
CATALOGUE = PACKAGE / "locale" / "de" / "LC_MESSAGES"
REPO = PACKAGE.parent


def _messages(catalogue: polib.POFile | polib.MOFile) -> dict:
    return {(e.msgctxt, e.msgid, e.msgid_plural): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in catalogue if not e.obsolete}


def test_every_german_message_is_translated_and_compiled():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    # The .mo that Django reads holds exactly the .po (run `make messages` after editing it).
    assert _messages(polib.mofile(str(CATALOGUE / "django.mo"))) == _messages(po)


def test_the_german_catalogue_holds_every_message_of_the_source(tmp_path):
    require(shutil.which("xgettext") is not None, "GNU gettext (xgettext), for makemessages")
    copy = tmp_path / "post_office"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "de"], cwd=copy, env=env,
                   check=True, capture_output=True)
    fresh = {key[1:] for key in _messages(polib.pofile(str(copy / "locale/de/LC_MESSAGES/django.po")))}
    committed = {key[1:] for key in _messages(polib.pofile(str(CATALOGUE / "django.po")))}
    assert fresh - committed == set(), "new messages: run `make messages` and translate them"
    assert committed - fresh == set(), "messages no longer in the source: run `make messages`"


@pytest.mark.django_db
def test_the_console_speaks_german_where_the_site_does(client, settings):
    settings.LANGUAGE_CODE = "de"
    client.force_login(User.objects.create_superuser("chef", "chef@example.com", "pw"))
    page = client.get("/admin/post_office/email/").content.decode()
    assert "Fehlgeschlagene E-Mails erneut einreihen" in page  # the requeue action
    assert "Eingereihte E-Mails abbrechen" in page
