"""Debian's Chromium under Playwright (never a downloaded browser), shared by every browser test.

One Playwright session per test process: the sync API keeps an asyncio loop in its thread, so a
second ``sync_playwright()`` beside a live one fails. The ``browser`` fixture in tests/conftest.py
is that one session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from tests.support.services import require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# Screenshots for the README are refreshed on request only, so a test run leaves the tree clean.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def require_chromium() -> None:
    """Fail under CI, skip elsewhere, when Chromium is missing."""
    require(os.path.exists(CHROMIUM) and bool(shutil.which(CHROMIUM)),
            f"Chromium at {CHROMIUM} (apt-get install -y chromium)")


def screenshot_path(name: str, tmp_path: Path) -> Path:
    """``docs/screenshots/<name>`` with UPDATE_SCREENSHOTS=1, else a file under ``tmp_path``."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        return SCREENSHOTS / name
    return tmp_path / name


def launch() -> Iterator:
    """Start Playwright and Chromium; yields the browser (closed afterwards)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; the ORM calls tests make
    # between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
