"""In Chromium: a SparkPost webhook batch posted to the live server shows up as badges in the
email list and as per-recipient events on the detail page; staff lift the suppression it caused."""

from __future__ import annotations

import base64

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Permission
from django.urls import include, path

from post_office import mail
from post_office.models import STATUS, Email, RecipientDeliveryStatus, Suppression
from tests.webhooks.support import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

# The console and the webhook endpoints on one live server, as a project wires them.
urlpatterns = [
    path("admin/", site.urls),
    path("webhooks/", include("post_office.webhooks.urls")),
]
HOOK_USER, HOOK_PASSWORD = "sparkpost-hook", "browser-s3cret"
S = RecipientDeliveryStatus


@pytest.fixture
def webhook_settings(settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MESSAGE_ID_ENABLED": True,
                            "MESSAGE_ID_FQDN": "mail.example.org",
                            "WEBHOOKS": {"SPARKPOST": {"USERNAME": HOOK_USER, "PASSWORD": HOOK_PASSWORD}}}


def test_webhook_events_show_in_chromium_and_the_suppression_is_lifted(console, operator, smtp_backend,
                                                                      webhook_settings):
    operator.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_suppression", "delete_suppression"]))
    alice = mail.send(["alice@example.com"], "shop@example.org", subject="Shipped", message="On its way.")
    gone = mail.send(["gone@example.com"], "shop@example.org", subject="Shipped", message="On its way.")
    assert mail.send_queued() == (2, 0, 0)
    assert {m.rcpt_tos[0] for m in smtp_backend.messages} == {"alice@example.com", "gone@example.com"}

    # The provider's batch, carrying the Message-IDs the SMTP sink received.
    batch = load("sparkpost_batch.json", MESSAGE_ID_ALICE=alice.message_id, MESSAGE_ID_GONE=gone.message_id)
    token = base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()
    response = console.page.request.post(f"{console.base_url}/webhooks/sparkpost/", data=batch, headers={
        "Authorization": f"Basic {token}", "Content-Type": "application/json"})
    assert response.status == 200, response.text()
    assert response.json()["matched"] == 4  # alice: injection, delivery, click; gone: bounce

    page = console.page
    console.open("/admin/post_office/email/")
    assert page.inner_text(f"tr:has(a:text-is('{alice.pk}')) [data-delivery-status='{S.CLICKED}']").lower() == "clicked"
    hard = page.locator(f"tr:has(a:text-is('{gone.pk}')) [data-delivery-status='{S.HARD_BOUNCED}']")
    assert "bg-red-100" in hard.get_attribute("class")

    console.open(f"/admin/post_office/email/{alice.pk}/change/")
    page.click("[data-testid=po-tab-delivery]")
    events = page.locator("[data-testid=po-delivery-event]")
    events.first.wait_for(state="visible")
    assert events.count() == 3
    assert page.inner_text("[data-testid=po-recipient-status]").strip().lower() == "clicked"
    section = page.inner_text("[data-recipient='alice@example.com']")
    assert "sparkpost click" in section and "https://example.org/orders/1234" in section

    entry = Suppression.objects.get(address="gone@example.com")
    console.open(f"/admin/post_office/suppression/{entry.pk}/change/")
    page.click("a:has-text('Lift suppression')")
    page.wait_for_selector("[data-testid=po-confirmation]")
    assert "This will lift 1 suppression." in page.inner_text("[data-testid=po-confirmation-count]")
    page.click("[data-testid=po-confirm]")
    page.wait_for_url(f"{console.base_url}/admin/post_office/suppression/")
    assert "1 suppression lifted" in page.inner_text("body")
    assert not Suppression.objects.exists()
    assert Email.objects.get(pk=gone.pk).status == STATUS.sent
    assert console.foreign_requests() == []
