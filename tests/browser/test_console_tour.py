"""The support/operator journey in a real browser: find an email by recipient, read it (with
its inline image), download the .eml, requeue failures in bulk and watch them get delivered.
With UPDATE_SCREENSHOTS=1 it refreshes the README's screenshots in docs/screenshots/.
"""

from __future__ import annotations

import email as email_lib
from email import policy
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from post_office import mail
from post_office.models import STATUS, Email, Log
from tests.admin_ui.pngs import make_png
from tests.support.browser import screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST_URL = "/admin/post_office/email/"


def shoot(page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(screenshot_path(name, tmp_path)), full_page=False)


def customer_email() -> Email:
    email = mail.send(
        recipients=["customer@example.com"], sender="shop@example.com", subject="Your order #1001",
        message="Thanks for your order #1001.",
        html_message=('<table width="100%" style="font-family:sans-serif"><tr><td>'
                      '<img alt="Shop logo" src="cid:logo@shop" width="96" height="72">'
                      '<h1 style="color:#333">Thanks for your order</h1><p>Order #1001 ships today.</p>'
                      '<img alt="tracker" src="http://127.0.0.2:9/pixel.gif"></td></tr></table>'),
        attachments={
            "logo.png": {"file": ContentFile(make_png(48, 36, (30, 90, 200))), "mimetype": "image/png",
                         "headers": {"Content-ID": "<logo@shop>"}},
            "invoice.pdf": {"file": ContentFile(b"%PDF-1.4 invoice 1001"), "mimetype": "application/pdf"},
        },
    )
    Email.objects.filter(pk=email.pk).update(status=STATUS.sent)
    Log.objects.create(email=email, status=STATUS.sent, message="")
    return email


def failed_emails(count: int) -> list[Email]:
    emails = []
    for i in range(count):
        email = mail.send(recipients=[f"retry{i}@example.com"], sender="shop@example.com",
                          subject=f"Password reset {i}", message="Your link")
        Email.objects.filter(pk=email.pk).update(status=STATUS.failed, number_of_retries=3)
        Log.objects.create(email=email, status=STATUS.failed, exception_type="SMTPServerDisconnected",
                           message="Connection unexpectedly closed")
        emails.append(email)
    return emails


def test_find_read_download_and_requeue_in_the_browser(console, smtp_backend, tmp_path):
    page = console.page
    target = customer_email()
    for i in range(4):
        newsletter = mail.send(recipients=[f"someone{i}@example.com"], sender="shop@example.com",
                               subject=f"Newsletter {i}", message="News")
        Email.objects.filter(pk=newsletter.pk).update(status=STATUS.sent)
    failed = failed_emails(3)

    # Find the customer's email by recipient.
    console.open(LIST_URL)
    shoot(page, "console-list.png", tmp_path)
    page.fill("input[name=q]", "customer@example.com")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=customer*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    page.get_by_role("link", name="customer@example.com").first.click()
    page.wait_for_url(f"**/post_office/email/{target.pk}/change/**")

    # The preview shows the inline cid: image, rendered, inside the sandbox; the tracker is blocked.
    frame = page.frame_locator("iframe[data-testid=po-preview]")
    logo = frame.locator("img[alt='Shop logo']")
    logo.wait_for()
    page.wait_for_load_state("load")  # the iframe and its images are part of the page's load
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 48
    assert "1 remote image blocked." in frame.locator("body").inner_text()
    assert page.locator("iframe[data-testid=po-preview]").get_attribute("sandbox") == ""
    assert console.foreign_requests() == []
    shoot(page, "console-detail.png", tmp_path)

    # The per-view switch loads remote images (here: the tracker on the stand-in host).
    with page.expect_request(lambda r: r.url.startswith("http://127.0.0.2:9/pixel.gif"), timeout=15_000):
        page.check("[data-testid=po-remote-images]")
    page.wait_for_function("() => document.querySelector('iframe[data-testid=po-preview]').src.includes('remote=1')")
    frame.locator("img[alt=tracker]").wait_for()
    assert any(url.startswith("http://127.0.0.2:9/pixel.gif") for url in console.foreign_requests())
    page.uncheck("[data-testid=po-remote-images]")
    console.requests.clear()

    # Download the .eml from the source tab and check what is in it.
    page.click("[data-testid=po-tab-source]")
    with page.expect_download() as download_info:
        page.click("[data-testid=po-eml]")
    path = tmp_path / "email.eml"
    download_info.value.save_as(path)
    message = email_lib.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Your order #1001"
    assert message["To"] == "customer@example.com"
    logo_part = next(part for part in message.walk() if part.get_filename() == "logo.png")
    assert logo_part["Content-ID"] == "<logo@shop>"
    assert logo_part.get_content() == make_png(48, 36, (30, 90, 200))

    # Requeue the three failed emails with the bulk action.
    console.open(f"{LIST_URL}?status={STATUS.failed}")
    assert page.locator("#result_list tbody tr").count() == 3
    page.check("#action-toggle")
    page.select_option("select[name=action]", "requeue_selected")
    page.click("button[name=index]")
    page.wait_for_selector("[data-testid=po-confirmation]")
    assert "This will affect 3 selected emails." in page.inner_text("[data-testid=po-confirmation-count]")
    shoot(page, "console-confirm.png", tmp_path)
    page.click("[data-testid=po-confirm]")
    page.wait_for_selector("text=3 emails requeued.")
    assert Email.objects.filter(pk__in=[e.pk for e in failed], status=STATUS.queued).count() == 3

    # A dispatcher delivers them to the SMTP sink; the list shows them sent.
    assert mail.send_queued() == (3, 0, 0)
    delivered = sorted(m.rcpt_tos[0] for m in smtp_backend.messages)
    assert delivered == ["retry0@example.com", "retry1@example.com", "retry2@example.com"]
    console.open(f"{LIST_URL}?status={STATUS.sent}&q=retry")
    assert page.locator("#result_list tbody tr").count() == 3
    assert console.foreign_requests() == []
