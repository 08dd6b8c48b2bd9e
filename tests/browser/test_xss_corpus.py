"""Hostile HTML in the console, payload by payload, in Chromium: as an email's html_message and
as a template rendered on delivery, the list, the detail page (with its sandboxed preview) and
the preview document opened directly run no script, navigate nowhere and request nothing
outside the live server.
"""

from __future__ import annotations

import pytest

from post_office import mail
from post_office.models import STATUS, Email, EmailTemplate

from .xss import CORPUS, Watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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


def test_no_payload_runs_navigates_or_leaks_in_list_detail_or_preview(console, subtests):
    watch = Watch(console.page, console.base_url)
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
                watch.reset()
                url = console.base_url + path
                console.page.goto(url, wait_until="load")
                console.page.wait_for_timeout(40)  # let zero-delay timers and meta refreshes fire
                assert watch.problems(url, allowed_frame={console.base_url + preview}.__contains__) == []
                if page_name == "list":
                    assert console.page.locator("#result_list tbody tr").count() == 2
                if page_name == "detail":  # the preview really was framed and loaded
                    assert any(frame.url.endswith(preview) for frame in console.page.frames)
