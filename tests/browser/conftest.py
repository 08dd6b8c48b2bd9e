"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Chromium missing: the browser tests fail under CI and are skipped elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission, User

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium  # noqa: F401 - re-exported

PASSWORD = "correct horse battery staple"
OPERATOR_PERMISSIONS = ("view_email", "requeue_email", "resend_email", "cancel_email", "view_log",
                        "view_attachment", "view_emailtemplate")


@pytest.fixture
def operator(transactional_db) -> User:
    user = User.objects.create_user("operator", password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=OPERATOR_PERMISSIONS))
    return user


def log_in(page, base_url: str, username: str) -> None:
    """Through the admin's login form, landing on the admin index."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


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
    log_in(page, live_server.url, operator.username)
    yield console
    context.close()
