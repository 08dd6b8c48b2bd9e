"""Hostile HTML in the console, payload by payload, in Chromium: as an email's html_message and
as a template rendered on delivery, the list, the detail page (with its sandboxed preview) and
the preview document opened directly run no script, navigate nowhere and request nothing
outside the live server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from post_office import mail
from post_office.models import STATUS, Email, EmailTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CORPUS = sorted((Path(__file__).resolve().parents[1] / "data" / "xss").glob("*.html"))
LIST_URL = "/admin/post_office/email/"


def test_corpus_has_at_least_forty_payloads():
    assert len(CORPUS) >= 40


def store_payloads() -> list[tuple[str, str, Email]]:
    """Every payload twice: (payload name, variant, email). Emails are sent (no live polling)."""
    stored = []
    for path in CORPUS:
        html = path.read_text()
        number = path.name[:2]
        direct = mail.send(
            recipients=[f"xss-{number}-html@example.com"], sender="shop@example.com",
            subject=html.strip()[:900], message=html, html_message=html,
        )
        template = EmailTemplate.objects.create(
            name=f"xss-{path.stem}", subject=html.strip()[:250], content=html, html_content=html,
        )
        templated = mail.send(
            recipients=[f"xss-{number}-template@example.com"], sender="shop@example.com",
            template=template, context={"payload": html}, render_on_delivery=True,
        )
        stored += [(path.stem, "html_message", direct), (path.stem, "template", templated)]
    Email.objects.update(status=STATUS.sent)
    return stored


class Watch:
    """What a page did that it must not: dialogs, console markers, navigations, script globals."""

    def __init__(self, console) -> None:
        self.console = console
        self.page = console.page
        self.dialogs: list[str] = []
        self.markers: list[str] = []
        self.navigations: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda msg: "XSS" in msg.text and self.markers.append(msg.text))
        self.page.on("framenavigated", lambda frame: self.navigations.append(frame.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def visit(self, path: str, allowed_frames: set[str]) -> list[str]:
        """Open ``path`` and return every violation seen while it loaded."""
        self.dialogs.clear()
        self.markers.clear()
        self.navigations.clear()
        self.console.requests.clear()
        url = self.console.base_url + path
        self.page.goto(url, wait_until="load")
        self.page.wait_for_timeout(40)  # let zero-delay timers and meta refreshes fire
        problems = [f"dialog {d}" for d in self.dialogs] + [f"console {m}" for m in self.markers]
        allowed = {url, "about:blank"} | {self.console.base_url + p for p in allowed_frames}
        problems += [f"navigated to {u}" for u in self.navigations if u not in allowed]
        if self.page.url != url:
            problems.append(f"left the page for {self.page.url}")
        problems += [f"request to {u}" for u in self.console.foreign_requests()]
        for frame in self.page.frames:
            try:
                flag = frame.evaluate("() => window.__xss === undefined ? null : String(window.__xss)")
            except Exception:  # noqa: BLE001 - a frame without script access ran nothing either
                flag = None
            if flag is not None:
                problems.append(f"window.__xss={flag} in {frame.url}")
        return problems


def test_no_payload_runs_navigates_or_leaks_in_list_detail_or_preview(console, subtests):
    watch = Watch(console)
    for name, variant, email in store_payloads():
        preview = f"{LIST_URL}{email.pk}/preview/"
        pages = {
            "detail": f"{LIST_URL}{email.pk}/change/",
            "preview": preview,
        }
        if variant == "html_message":
            # One list page shows both variants of the payload (the template's subject is rendered
            # on delivery, so the html_message row is the one that carries it into the list).
            pages["list"] = f"{LIST_URL}?q=xss-{name[:2]}-"
        for page_name, path in pages.items():
            with subtests.test(msg=f"{name} as {variant} on {page_name}"):
                assert watch.visit(path, allowed_frames={preview}) == []
                if page_name == "list":
                    assert console.page.locator("#result_list tbody tr").count() == 2
                if page_name == "detail":  # the preview really was framed and loaded
                    assert any(frame.url.endswith(preview) for frame in console.page.frames)
