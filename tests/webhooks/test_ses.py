"""Amazon SES events through SNS, posted to the SES webhook URL with Django's test client."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from post_office.models import Email, Log, RecipientDeliveryStatus, Suppression

from .support import SnsSigner, load, sns_notification

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.webhooks.urls")]

S = RecipientDeliveryStatus


def post(client, payload):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(reverse("ses-webhook"), body, content_type="text/plain; charset=UTF-8")


def nothing_written(email: Email) -> bool:
    email.refresh_from_db()
    return email.recipient_delivery_status is None and not Log.objects.exists() and not Suppression.objects.exists()


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_bounce_is_recorded_as_hard_bounce_with_log_and_suppression(client, make_email, signer, version):
    email = make_email("gone@example.com")
    response = post(client, signer.sign(sns_notification("ses_bounce_permanent.json", email.message_id), version))

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "processed": 1, "matched": 1, "ignored": 0}
    email.refresh_from_db()
    assert email.recipient_delivery_status == S.HARD_BOUNCED
    log = Log.objects.get(email=email)
    assert log.status == S.HARD_BOUNCED
    assert log.message.startswith("gone@example.com: ses Bounce:Permanent:General at 2024-05-14T09:12:04+00:00")
    assert "550 5.1.1" in log.message
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("gone@example.com", "hard_bounce")
    assert suppression.email_id == email.pk


def test_complaint_delivery_delay_and_click_map_to_their_statuses(client, make_email, signer):
    angry, slow = make_email("angry@example.com"), make_email("slow@example.com")
    alice = make_email("alice@example.com")
    for fixture, email in [("ses_complaint.json", angry), ("ses_event_delivery_delay.json", slow),
                           ("ses_event_click.json", alice)]:
        assert post(client, signer.sign(sns_notification(fixture, email.message_id))).status_code == 200

    statuses = {email.to[0]: email.recipient_delivery_status for email in Email.objects.all()}
    assert statuses == {"angry@example.com": S.SPAM_COMPLAINT, "slow@example.com": S.DEFERRED,
                        "alice@example.com": S.CLICKED}
    assert Suppression.objects.get().reason == "complaint"
    assert "https://example.org/orders/1234" in Log.objects.get(email=alice).message


def test_tampered_message_is_refused_with_403_and_nothing_written(client, make_email, signer):
    email = make_email("gone@example.com")
    signed = signer.sign(sns_notification("ses_bounce_permanent.json", email.message_id))
    signed["Message"] = signed["Message"].replace("gone@example.com", "victim@example.com")

    assert post(client, signed).status_code == 403
    assert nothing_written(email)


def test_message_without_signature_is_refused_with_403(client, make_email, signer):
    email = make_email("gone@example.com")
    unsigned = sns_notification("ses_bounce_permanent.json", email.message_id)
    unsigned.pop("Signature")
    unsigned["SigningCertURL"] = signer.cert_url

    assert post(client, unsigned).status_code == 403
    assert nothing_written(email)


def test_message_signed_by_another_key_is_refused(client, make_email, signer, loopback):
    email = make_email("gone@example.com")
    impostor = SnsSigner(loopback, cert_path="/impostor.pem")
    forged = impostor.sign(sns_notification("ses_bounce_permanent.json", email.message_id), cert_url=signer.cert_url)

    assert post(client, forged).status_code == 403
    assert nothing_written(email)


def test_certificate_url_off_amazon_is_refused_without_fetching_it(client, make_email, signer, loopback, settings):
    settings.POST_OFFICE["WEBHOOKS"]["SES"]["TEST_SNS_HOSTS"] = []  # the loopback host is now a stranger
    email = make_email("gone@example.com")
    before = loopback.hits[signer.cert_path]

    response = post(client, signer.sign(sns_notification("ses_bounce_permanent.json", email.message_id)))

    assert response.status_code == 403
    assert loopback.hits[signer.cert_path] == before
    assert nothing_written(email)


def test_signing_certificate_is_fetched_once_and_cached(client, make_email, signer, loopback):
    first, second = make_email("alice@example.com"), make_email("gone@example.com")
    before = loopback.hits[signer.cert_path]

    for fixture, email in [("ses_delivery.json", first), ("ses_bounce_permanent.json", second)]:
        assert post(client, signer.sign(sns_notification(fixture, email.message_id))).status_code == 200

    assert loopback.hits[signer.cert_path] - before == 1
    assert Log.objects.count() == 2


def test_topic_outside_topic_arns_is_refused(client, make_email, signer, settings):
    settings.POST_OFFICE["WEBHOOKS"]["SES"]["TOPIC_ARNS"] = ["arn:aws:sns:eu-west-1:123456789012:other"]
    email = make_email("gone@example.com")

    assert post(client, signer.sign(sns_notification("ses_bounce_permanent.json", email.message_id))).status_code == 403
    assert nothing_written(email)


def test_malformed_json_is_answered_400(client, make_email):
    email = make_email("gone@example.com")
    response = post(client, '{"Type": "Notification", "Message": ')

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert nothing_written(email)


def test_unknown_message_id_is_ignored_and_logged_at_info(client, make_email, signer, caplog):
    email = make_email("gone@example.com")
    with caplog.at_level(logging.INFO, logger="post_office.events"):
        response = post(client, signer.sign(sns_notification("ses_bounce_permanent.json", "<someone-else@elsewhere>")))

    assert response.status_code == 200
    assert response.json()["ignored"] == 1
    assert nothing_written(email)
    assert any("someone-else@elsewhere" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)


def test_subscription_confirmation_fetches_subscribe_url_on_trusted_host(client, signer, loopback, webhook_settings):
    loopback.routes["/confirm?Token=abc"] = (200, b"<ConfirmSubscriptionResponse/>")
    message = json.loads(load("sns_subscription_confirmation.json"))
    message["SubscribeURL"] = loopback.url("/confirm?Token=abc")

    response = post(client, signer.sign(message))

    assert response.status_code == 200
    assert response.json() == {"status": "subscription confirmed"}
    assert loopback.hits["/confirm?Token=abc"] == 1


def test_subscription_confirmation_with_foreign_subscribe_url_is_not_fetched(client, signer, loopback,
                                                                             webhook_settings):
    message = json.loads(load("sns_subscription_confirmation.json"))
    message["SubscribeURL"] = "http://127.0.0.3:9/confirm?Token=abc"  # signed, but not an SNS host

    response = post(client, signer.sign(message))

    assert response.status_code == 400
    assert "SubscribeURL" in response.json()["error"]


def test_unsigned_subscription_confirmation_is_refused(client, loopback, webhook_settings):
    loopback.routes["/confirm?Token=xyz"] = (200, b"ok")
    message = json.loads(load("sns_subscription_confirmation.json"))
    message.update(SubscribeURL=loopback.url("/confirm?Token=xyz"), SigningCertURL="", Signature="")

    assert post(client, message).status_code == 403
    assert loopback.hits["/confirm?Token=xyz"] == 0


def test_get_is_not_allowed(client, webhook_settings):
    assert client.get(reverse("ses-webhook")).status_code == 405
