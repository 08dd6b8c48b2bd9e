"""django-anymail's tracking signal feeds delivery statuses: a Mailgun webhook posted to
anymail's own view (real signature check) updates the email it names."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from post_office.models import Email, Log, RecipientDeliveryStatus, Suppression

from .support import load

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.webhooks.urls")]

SIGNING_KEY = "mailgun-webhook-signing-key-for-tests"


@pytest.fixture
def anymail_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "anymail:hook-secret", "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    return settings


def mailgun(client, email: Email, event: str, **event_data) -> int:
    payload = json.loads(load("mailgun_delivered.json", MESSAGE_ID=email.message_id.strip("<>")))
    payload["event-data"].update(event=event, **event_data)
    timestamp, token = "1715677923", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    payload["signature"] = {"timestamp": timestamp, "token": token, "signature": signature}
    response = client.post(reverse("anymail:mailgun_tracking_webhook"), json.dumps(payload),
                           content_type="application/json", HTTP_AUTHORIZATION="Basic YW55bWFpbDpob29rLXNlY3JldA==")
    return response.status_code


def test_anymail_delivered_event_updates_the_email(client, make_email, anymail_settings):
    email = make_email("alice@example.com")
    assert mailgun(client, email, "delivered") == 200

    email.refresh_from_db()
    assert email.recipient_delivery_status == RecipientDeliveryStatus.DELIVERED
    assert Log.objects.get(email=email).message.startswith("alice@example.com: anymail:mailgun delivered")


def test_anymail_permanent_failure_is_a_hard_bounce_and_suppresses(client, make_email, anymail_settings):
    email = make_email("alice@example.com")
    assert mailgun(client, email, "failed", severity="permanent", reason="bounce") == 200

    email.refresh_from_db()
    assert email.recipient_delivery_status == RecipientDeliveryStatus.HARD_BOUNCED
    assert Suppression.objects.get().address == "alice@example.com"


def test_anymail_temporary_failure_is_deferred(client, make_email, anymail_settings):
    email = make_email("alice@example.com")
    assert mailgun(client, email, "failed", severity="temporary", reason="generic") == 200
    email.refresh_from_db()
    assert email.recipient_delivery_status == RecipientDeliveryStatus.DEFERRED


def test_anymail_receiver_can_be_turned_off(client, make_email, anymail_settings):
    anymail_settings.POST_OFFICE["WEBHOOKS"]["ANYMAIL"] = {"ENABLED": False}
    email = make_email("alice@example.com")
    assert mailgun(client, email, "delivered") == 200
    email.refresh_from_db()
    assert email.recipient_delivery_status is None
    assert not Log.objects.exists()


def test_anymail_bad_signature_writes_nothing(client, make_email, anymail_settings):
    anymail_settings.ANYMAIL = {**anymail_settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": "another-key"}
    email = make_email("alice@example.com")
    assert mailgun(client, email, "delivered") == 400
    assert not Log.objects.exists()
