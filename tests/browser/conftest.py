"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Chromium missing: the browser tests fail under CI and are skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission, User

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery staple"
OPERATOR_PERMISSIONS = ("view_email", "requeue_email", "resend_email", "cancel_email", "view_log",
                        "view_attachment", "view_emailtemplate")


def require_chromium() -> None:
    if os.path.exists(CHROMIUM) and shutil.which(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is required under CI ({CHROMIUM} is missing: apt-get install -y chromium).")
    pytest.skip(f"needs Chromium at {CHROMIUM}")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; the ORM calls the tests make
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


@pytest.fixture
def operator(transactional_db) -> User:
    user = User.objects.create_user("operator", password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=OPERATOR_PERMISSIONS))
    return user


@dataclass
class Console:
    """A logged-in browser context on the live server, recording what leaves the page."""

    page: object
    base_url: str
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        origin = urlsplit(self.base_url)
        return [url for url in self.requests
                if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(url).netloc != origin.netloc]

    def open(self, path: str):
        return self.page.goto(self.base_url + path)


@pytest.fixture
def console(browser, live_server, operator) -> Iterator[Console]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    console = Console(page=page, base_url=live_server.url)
    context.on("request", lambda request: console.requests.append(request.url))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", operator.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield console
    context.close()
