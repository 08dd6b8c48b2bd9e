"""Hard bounces and complaints suppress later sends when SUPPRESS_BOUNCED is on: delivered
through the real dispatcher to a real SMTP sink."""

from __future__ import annotations

import base64
import json

import pytest
from django.urls import reverse

from post_office import mail
from post_office.models import STATUS, Email, Log, Suppression
from post_office.suppression import lift_suppression, suppress, suppressed

from .conftest import SPARKPOST_AUTH

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.webhooks.urls")]

AUTH = "Basic " + base64.b64encode(":".join(SPARKPOST_AUTH).encode()).decode()


def report(client, email: Email, kind: str, recipient: str, **extra) -> None:
    event = {"type": kind, "message_id": "00043e5b3a61cc2eb6d2", "timestamp": "1715677925",
             "rcpt_to": recipient, "rcpt_meta": {"message_id": email.message_id}, **extra}
    response = client.post(reverse("sparkpost-webhook"), json.dumps([{"msys": {"message_event": event}}]),
                           content_type="application/json", HTTP_AUTHORIZATION=AUTH)
    assert response.status_code == 200, response.content


@pytest.fixture
def suppress_on(webhook_settings):
    webhook_settings.POST_OFFICE = {**webhook_settings.POST_OFFICE, "SUPPRESS_BOUNCED": True}


def test_hard_bounced_address_is_refused_on_the_next_send_with_a_clear_log(
    client, smtp_backend, make_email, suppress_on
):
    first = make_email("gone@example.com")
    assert mail.send_queued() == (1, 0, 0)
    report(client, first, "bounce", "gone@example.com", bounce_class="10", raw_reason="550 5.1.1 unknown user")

    second = make_email("Gone <GONE@example.com>")
    other = make_email("alice@example.com")
    assert mail.send_queued() == (1, 1, 0)

    second.refresh_from_db()
    assert second.status == STATUS.failed
    log = Log.objects.get(email=second)
    assert log.exception_type == "SuppressedRecipientError"
    assert "gone@example.com" in log.message and "Hard bounce" in log.message and "suppress" in log.message
    assert [m.rcpt_tos for m in smtp_backend.messages] == [["gone@example.com"], ["alice@example.com"]]
    other.refresh_from_db()
    assert other.status == STATUS.sent


def test_suppressed_cc_recipient_fails_the_whole_email_without_retry(client, smtp_backend, make_email,
                                                                     suppress_on, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 3}
    first = make_email("angry@example.com")
    assert mail.send_queued() == (1, 0, 0)
    report(client, first, "spam_complaint", "angry@example.com")

    email = make_email("alice@example.com", cc=["angry@example.com"])
    assert mail.send_queued() == (0, 1, 0)

    email.refresh_from_db()
    assert (email.status, email.number_of_retries) == (STATUS.failed, None)
    assert [m.rcpt_tos for m in smtp_backend.messages] == [["angry@example.com"]]


def test_with_the_setting_off_a_hard_bounced_address_is_still_sent_to(client, smtp_backend, make_email):
    first = make_email("gone@example.com")
    report(client, first, "bounce", "gone@example.com", bounce_class="10")
    assert Suppression.objects.filter(address="gone@example.com").exists()  # recorded regardless

    make_email("gone@example.com")
    assert mail.send_queued() == (2, 0, 0)
    assert len(smtp_backend.messages) == 2


def test_soft_bounce_does_not_suppress(client, smtp_backend, make_email, suppress_on):
    first = make_email("full@example.com")
    report(client, first, "bounce", "full@example.com", bounce_class="22")
    assert suppressed(["full@example.com"]) == set()


def test_lifting_a_suppression_lets_the_address_be_mailed_again(client, smtp_backend, make_email, suppress_on):
    first = make_email("gone@example.com")
    report(client, first, "bounce", "gone@example.com", bounce_class="10")
    mail.send_queued()
    assert smtp_backend.messages == []

    assert lift_suppression("GONE@example.com") is True
    assert lift_suppression("gone@example.com") is False
    make_email("gone@example.com")
    assert mail.send_queued() == (1, 0, 0)
    assert [m.rcpt_tos for m in smtp_backend.messages] == [["gone@example.com"]]


def test_suppressed_looks_up_many_addresses_in_one_query(django_assert_num_queries, webhook_settings):
    suppress("a@example.com")
    suppress("B@example.com", reason=Suppression.Reason.COMPLAINT)
    with django_assert_num_queries(1):
        found = suppressed(["A@example.com", "Someone <b@example.com>", "c@example.com"])
    assert found == {"a@example.com", "b@example.com"}


def test_suppress_refuses_a_non_address(webhook_settings):
    with pytest.raises(ValueError, match="address"):
        suppress("not an address")
