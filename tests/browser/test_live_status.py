"""The detail page follows a queued email live (htmx polling) and stops once it is final; the
preview's width toggle switches between desktop and mobile."""

from __future__ import annotations

import pytest

from post_office import mail
from post_office.models import STATUS, Email

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_status_and_timeline_update_in_place_until_the_email_is_final(console, smtp_backend):
    email = mail.send(recipients=["live@example.com"], sender="shop@example.com", subject="Live",
                      message="x", html_message="<p>Live</p>")
    page = console.page
    console.open(f"/admin/post_office/email/{email.pk}/change/")
    status = page.locator("[data-testid=po-live-status]")
    assert status.get_attribute("hx-trigger") == "every 3s [document.visibilityState === 'visible']"
    assert "queued" in status.inner_text().lower()
    page.evaluate("window.__loadedOnce = true")  # gone if the page reloads instead of swapping

    assert mail.send_queued() == (1, 0, 0)
    page.wait_for_selector("[data-testid=po-live-status][data-final='1']", timeout=30_000)
    assert "sent" in status.inner_text().lower()
    assert status.get_attribute("hx-trigger") is None  # polling stopped
    page.click("[data-testid=po-tab-logs]")
    assert "No delivery attempt yet." not in page.inner_text("[data-testid=po-timeline]")
    assert page.evaluate("window.__loadedOnce") is True
    assert [m.rcpt_tos for m in smtp_backend.messages] == [["live@example.com"]]
    assert Email.objects.get(pk=email.pk).status == STATUS.sent


def test_width_toggle_switches_the_preview_between_desktop_and_mobile(console):
    email = mail.send(recipients=["w@example.com"], sender="shop@example.com", subject="W", message="x",
                      html_message="<p>Wide</p>")
    page = console.page
    console.open(f"/admin/post_office/email/{email.pk}/change/")
    width = "() => document.querySelector('iframe[data-testid=po-preview]').offsetWidth"
    desktop = page.evaluate(width)
    assert desktop > 375
    page.click("[data-testid=po-width-mobile]")
    page.wait_for_function(f"() => ({width})() === 375")
    page.click("[data-testid=po-width-desktop]")
    page.wait_for_function(f"() => ({width})() === {desktop}")


def test_a_status_refresh_that_fails_is_shown_and_cleared_by_the_next_good_one(console):
    email = mail.send(recipients=["live@example.com"], sender="shop@example.com", subject="Live", message="x")
    page = console.page
    page.route("**/live/**", lambda route: route.fulfill(status=403, body="Forbidden"))
    console.open(f"/admin/post_office/email/{email.pk}/change/")

    notice = page.locator("[data-testid=po-live-status] .po-load-error")
    notice.wait_for(timeout=15_000)
    assert notice.inner_text() == "Not up to date: the last refresh failed (HTTP 403). Trying again."
    assert "queued" in page.inner_text("[data-testid=po-live-status]").lower()  # still shown

    page.unroute("**/live/**")
    notice.wait_for(state="detached", timeout=15_000)
