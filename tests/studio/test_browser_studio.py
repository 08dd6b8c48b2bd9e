"""The studio in a real browser: a marketer's whole journey, and hostile template HTML.

Playwright drives Debian's Chromium (never a downloaded one) against pytest-django's live server.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connections
from django.test import Client

from post_office.models import EmailTemplate, EmailTemplateVersion
from tests.support.waiting import wait_until

from ..browser.xss import Watch, payloads
from .browser import LiveServer, OffServerHost
from .conftest import LOGO

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MARKETER_PERMISSIONS = (
    "view_emailtemplate", "add_emailtemplate", "change_emailtemplate", "delete_emailtemplate",
    "import_emailtemplate", "send_test_emailtemplate", "restore_emailtemplate", "view_email",
    # Deleting a template deletes the emails sent with it and their logs (Email.template cascades).
    "delete_email", "delete_log",
)


@pytest.fixture
def studio_server(transactional_db):
    with LiveServer() as server:
        yield server


@pytest.fixture
def browser_page(studio_server, browser):
    user = User.objects.create_user("marketer", "marketer@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="post_office", codename__in=MARKETER_PERMISSIONS))
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=studio_server.url, accept_downloads=True)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": studio_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
        # ORM calls made under Playwright's running loop get their own connection (asgiref's
        # Local is per context there): close it, or PostgreSQL cannot drop the test database.
        connections.close_all()


def family_state() -> dict:
    return {
        (t.name, t.language): (t.description, t.subject, t.content, t.html_content, t.sample_context)
        for t in EmailTemplate.objects.all()
    }


def save_and_continue(page) -> None:
    page.click("button[name=_continue]")
    page.wait_for_load_state()


def preview_frame(page, language_label: str):
    """Wait for the htmx preview of ``language_label`` and return its iframe's frame."""
    page.wait_for_selector(f"#po-studio-preview h3:has-text('{language_label}')")
    handle = page.wait_for_selector("#po-studio-preview iframe.po-preview-frame")
    frame = handle.content_frame()
    # Not the blank document a new iframe starts with: the preview itself, loaded.
    assert frame_until(frame, "() => location.href !== 'about:blank' && document.readyState === 'complete'")
    return frame


def frame_until(frame, predicate: str, timeout: float = 15) -> bool:
    """Whether ``predicate`` (JavaScript) comes true in ``frame`` within ``timeout`` seconds, asked
    from here: the preview's sandbox runs no script, so Playwright's in-page polling
    (wait_for_function's animation frames and timers) never fires in it."""
    from playwright.sync_api import Error as PlaywrightError

    def holds() -> bool:
        try:
            return bool(frame.evaluate(predicate))
        except PlaywrightError:  # between two documents: no context to evaluate in for a moment
            return False

    return wait_until(holds, timeout, interval=0.05)


def image_loaded(frame) -> bool:
    """Whether the frame's image loads and decodes (waiting for it up to 15 s)."""
    return frame_until(frame, "() => { const img = document.querySelector('img');"
                              " return img !== null && img.complete && img.naturalWidth > 0; }")


ENGLISH_HTML = '{% load post_office %}<h1>Spring sale</h1><p>Hi {{ name }}!</p>' \
               '<img alt="logo" src="{% inline_image logo %}">'
INDONESIAN_HTML = '{% load post_office %}<h1>Obral musim semi</h1><p>Hai {{ name }}!</p>' \
                  '<img alt="logo" src="{% inline_image logo %}">'


def test_marketer_writes_previews_sends_exports_reimports_and_restores(browser_page, smtp_backend, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "TEMPLATE_ENGINE": "post_office"}
    page = browser_page

    # 1. A new template, English default + an Indonesian translation with an {% if %} left open.
    page.goto("/admin/post_office/emailtemplate/add/")
    page.fill("#id_name", "spring_sale")
    page.fill("#id_subject", "Spring sale for {{ name }}")
    page.fill("#id_content", "Hi {{ name }}, everything is 20% off.")
    page.fill("#id_html_content", ENGLISH_HTML)
    page.click("#tabs-items >> text=Add a translation")
    page.select_option("#id_translated_templates-0-language", "id")
    page.fill("#id_translated_templates-0-subject", "Obral untuk {{ name }}")
    page.fill("#id_translated_templates-0-content", "Hai {{ name }}, semua diskon 20%.{% if vip %} VIP!")
    page.fill("#id_translated_templates-0-html_content", INDONESIAN_HTML)
    save_and_continue(page)

    assert not EmailTemplate.objects.exists()
    page.click("#tabs-items >> text=Add a translation")
    error = page.get_by_text(re.compile(r"Line 1: Unclosed tag on line 1: 'if'")).first
    assert error.is_visible()
    assert "endif" in error.inner_text()

    page.fill("#id_translated_templates-0-content", "Hai {{ name }}, semua diskon 20%.{% if vip %} VIP!{% endif %}")
    save_and_continue(page)
    default = EmailTemplate.objects.get(name="spring_sale", default_template__isnull=True)
    assert f"/emailtemplate/{default.pk}/change/" in page.url
    page.click("#tabs-items >> text=General")

    # 2. Sample context beside the preview; both languages previewed, inline image shown.
    page.fill("#id_sample_context", json.dumps({"name": "Ada", "logo": LOGO, "vip": True}))
    page.fill("#id_subject", "Spring sale for {{ name }}!")  # an edit, so history has two versions
    save_and_continue(page)
    frame = preview_frame(page, "Default")
    assert "Spring sale for Ada!" in page.inner_text("#po-studio-preview .po-preview-subject")
    assert "Hi Ada!" in frame.inner_text("body") and image_loaded(frame)

    page.click(".po-studio-languages button[data-language=id]")
    frame = preview_frame(page, "Indonesian (id)")
    assert "Obral untuk Ada" in page.inner_text("#po-studio-preview .po-preview-subject")
    assert "Hai Ada!" in frame.inner_text("body") and image_loaded(frame)
    assert "VIP!" in page.inner_text("#po-studio-preview .po-preview-text")

    # 3. A test in Indonesian arrives at the SMTP sink.
    page.goto(f"/admin/post_office/emailtemplate/{default.pk}/send-test/")
    assert page.input_value("#id_recipients") == "marketer@example.com"
    page.select_option("#id_language", "id")
    page.click("button[type=submit] >> text=Send the test")
    page.wait_for_load_state()
    [received] = smtp_backend.messages
    assert received.message["Subject"] == "Obral untuk Ada"
    assert received.rcpt_tos == ["marketer@example.com"]
    link = page.locator("a[href*='/admin/post_office/email/']").first
    assert link.is_visible()

    # 4. Export, delete, import (dry run first), identical.
    before = family_state()
    page.goto("/admin/post_office/emailtemplate/export/")
    page.select_option("#id_format", label="json")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Submit").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    exported = download.path().read_bytes()

    page.goto(f"/admin/post_office/emailtemplate/{default.pk}/delete/")
    page.get_by_role("button", name="Yes, I’m sure").click()
    page.wait_for_load_state()
    assert not EmailTemplate.objects.exists()

    page.goto("/admin/post_office/emailtemplate/import/")
    # The file first: import-export's script picks the format from the file name's extension.
    page.set_input_files("#id_import_file", files=[
        {"name": download.suggested_filename, "mimeType": "application/json", "buffer": exported}])
    page.select_option("#id_format", label="json")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_load_state()
    assert not EmailTemplate.objects.exists()  # the dry run shows, writes nothing
    assert page.locator("tr.new").count() == 2  # the default and its translation, both new
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_load_state()
    assert family_state() == before

    # 5. History: restore the first version (before the subject edit).
    default = EmailTemplate.objects.get(name="spring_sale", default_template__isnull=True)
    page.goto(f"/admin/post_office/emailtemplate/{default.pk}/history/")
    page.click("tr[data-version='1'] button.po-restore")
    page.wait_for_load_state()
    default.refresh_from_db()
    assert default.subject == "Spring sale for {{ name }}"
    latest = EmailTemplateVersion.objects.filter(template_name="spring_sale").order_by("-number").first()
    assert latest.comment == "Restored version 1"
    assert page.locator(f"tr[data-version='{latest.number}'] >> text=Restored version 1").is_visible()


def test_a_form_too_large_to_post_is_stopped_on_the_page_naming_its_largest_field(browser_page, settings):
    """Past DATA_UPLOAD_MAX_MEMORY_SIZE Django answers a bare 400 and the edits are gone from the
    screen: the editor says so before posting, names the field and its tab, and keeps the page."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    default = EmailTemplate.objects.create(name="newsletter", subject="News", content="Hi", html_content="<p>Hi</p>")
    EmailTemplate.objects.create(name="newsletter", language="id", default_template=default,
                                 subject="Berita", content="Hai", html_content="<p>Hai</p>")
    page = browser_page
    page.goto(f"/admin/post_office/emailtemplate/{default.pk}/change/")
    page.click("#tabs-items >> text=Indonesian")
    change_url = page.url
    field = page.locator("#id_translated_templates-0-html_content")
    huge = "<p>" + "Berita hari ini. " * 4_000 + "</p>"  # 68 KB
    field.fill(huge)
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    page.click("button[name=_continue]")

    alert = page.locator("#po-size-alert")
    alert.wait_for(state="visible")
    text = alert.inner_text()
    assert "Indonesian (id): HTML content" in text, text
    assert "accepts at most 48 KB (DATA_UPLOAD_MAX_MEMORY_SIZE)" in text  # 50,000 bytes, rounded down
    assert posts == [] and page.url == change_url
    assert field.input_value() == huge  # nothing lost
    assert EmailTemplate.objects.get(language="id").html_content == "<p>Hai</p>"

    field.fill("<p>Hai lagi</p>")  # small enough again: it saves
    save_and_continue(page)
    assert EmailTemplate.objects.get(language="id").html_content == "<p>Hai lagi</p>"


def test_the_size_check_counts_exactly_what_the_browser_sends(browser_page, settings):
    """Line breaks (sent as CRLF), quotes, brackets and non-ASCII text, measured against the real
    request: a form of exactly DATA_UPLOAD_MAX_MEMORY_SIZE saves (Django refuses only more), and
    one byte less of limit stops it in the page."""
    template = EmailTemplate.objects.create(name="exact", subject="S0", content="c", html_content="<p>x</p>")
    content = "Line (one) with 'quotes' & ~tildes!\nLine two: «ünïcödé» 🙂\r\n" * 300
    page = browser_page

    def save(subject: str, limit: int | None):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = limit
        page.goto(f"/admin/post_office/emailtemplate/{template.pk}/change/")
        page.fill("#id_subject", subject)
        page.fill("#id_content", content)
        posts: list = []

        def saving(request) -> None:  # the form's own post, not the preview's
            if request.method == "POST" and urlsplit(request.url).path.endswith(f"/{template.pk}/change/"):
                posts.append(request)

        page.on("request", saving)
        page.click("button[name=_continue]")
        page.wait_for_load_state()
        page.remove_listener("request", saving)
        return posts

    [measured] = save("S1", None)  # no limit: no check, the browser sends what it sends
    sent = len(measured.post_data_buffer)
    assert measured.headers["content-type"] == "application/x-www-form-urlencoded"
    page.wait_for_url(re.compile(r"/change/"))
    assert EmailTemplate.objects.get(pk=template.pk).subject == "S1"

    assert len(save("S2", sent)) == 1  # exactly at the limit: sent, and saved
    assert not page.locator("#po-size-alert").is_visible()
    assert EmailTemplate.objects.get(pk=template.pk).subject == "S2"

    assert save("S3", sent - 1) == []  # one byte over: stopped in the page
    assert page.locator("#po-size-alert").is_visible()
    assert EmailTemplate.objects.get(pk=template.pk).subject == "S2"


@pytest.mark.parametrize(("fault", "reason"), [
    ("server error", "HTTP 500"),
    ("no answer", "no answer from the server"),
    ("signed out", "signed out? reload the page"),  # a redirect to the login page, answered 200
])
def test_a_preview_that_cannot_be_loaded_says_so_in_its_place(browser_page, fault, reason):
    template = EmailTemplate.objects.create(name="news", subject="News", content="Hi", html_content="<p>Hi</p>")
    page = browser_page

    def answer(route) -> None:
        if fault == "server error":
            route.fulfill(status=500, body="<h1>Server Error (500)</h1>")
        elif fault == "no answer":
            route.abort("connectionrefused")
        else:
            route.fulfill(status=200, content_type="text/html",
                          body="<!DOCTYPE html><html><body><form id='login-form'></form></body></html>")

    page.route("**/studio/preview/", answer)
    page.goto(f"/admin/post_office/emailtemplate/{template.pk}/change/")

    notice = page.locator("#po-studio-preview .po-load-error")
    notice.wait_for()
    assert notice.inner_text() == f"This could not be loaded ({reason}). Reload the page to try again."
    assert page.locator("#po-studio-preview #login-form").count() == 0  # nothing of the answer drawn


def studio_page_problems(page, watch: Watch, url: str, html: str) -> list[str]:
    """Open the change page at ``url`` of a template made of ``html``; everything it did wrong."""
    watch.reset()
    page.goto(url)
    frame = preview_frame(page, "Default")
    frame_src = page.get_attribute("#po-studio-preview iframe.po-preview-frame", "src")
    # What a curious reviewer would click; the sandbox has no popups, forms or top navigation.
    for clickable in frame.locator("a[href], button, input[type=submit]").all()[:2]:
        clickable.click(timeout=5_000, no_wait_after=True, force=True)
    page.wait_for_timeout(40)  # let zero-delay timers and meta refreshes fire
    found = watch.problems(url, allowed_frame=lambda u: u == watch.base_url + frame_src)
    # Shown as text: the rendered plain text and subject are the payload, character for character.
    if page.inner_text(".po-preview-text").strip() != html.strip():
        found.append("plain text not shown as text")
    subject = " ".join(page.inner_text(".po-preview-subject").split())
    if len(html.strip()) <= 250 and " ".join(html.split()) != subject:
        found.append("subject not shown as text")
    return found


def payload_findings(page, watch: Watch, url: str, html: str) -> list[str]:
    """``studio_page_problems``, with one more try for a page that only timed out: on a loaded
    machine a slow render is not a hijack, while a hijack leaves traces or times out again."""
    from playwright.sync_api import Error as PlaywrightError

    for last_try in (False, True):
        try:
            return studio_page_problems(page, watch, url, html)
        except PlaywrightError as exc:  # a hijacked page times out: a finding, not a crash
            # Only the preview frame's own document is expected; any other navigation is a trace.
            traces = watch.problems(url, allowed_frame=lambda u: u.startswith(url.removesuffix("change/")
                                                                             + "studio/preview/"))
            if traces or last_try:
                return [f"browser: {exc.message.splitlines()[0]}", *traces]
    raise AssertionError("unreachable")


def test_corpus_in_template_source_runs_nothing_navigates_nowhere_and_leaks_nothing(browser_page, studio_server):
    """Every payload of tests/data/xss/ as a template's subject, text and HTML: the change page
    (source in the editor, rendered subject and text, the sandboxed HTML preview) runs no script,
    navigates nowhere and requests nothing off the server, even when its links are clicked."""
    page = browser_page
    watch = Watch(page, studio_server.url)
    problems: dict[str, list[str]] = {}
    with OffServerHost() as attacker:
        stored = [(name, html, EmailTemplate.objects.create(
            name=f"xss-{name}", subject=html.strip()[:250], content=html, html_content=html))
            for name, html in payloads(attacker.origin.removeprefix("http://"))]
        assert len(stored) >= 60
        for name, html, template in stored:
            url = f"{studio_server.url}/admin/post_office/emailtemplate/{template.pk}/change/"
            found = payload_findings(page, watch, url, html)
            if found:
                problems[name] = found
                if len(problems) == 3:  # a broken defence fails many payloads: report, don't wait on all
                    break
        page.wait_for_timeout(100)  # a late request would still reach the attacker
    assert problems == {}
    assert attacker.hits == []
