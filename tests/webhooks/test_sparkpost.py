"""SparkPost event batches posted to the SparkPost webhook URL with basic authentication."""

from __future__ import annotations

import base64
import json
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from post_office.models import Email, Log, RecipientDeliveryStatus, Suppression

from .conftest import SPARKPOST_AUTH
from .support import load

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.webhooks.urls")]

S = RecipientDeliveryStatus


def auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def post(client, body, authorization: str | None = auth(*SPARKPOST_AUTH)):
    body = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return client.post(reverse("sparkpost-webhook"), body, content_type="application/json", **headers)


@pytest.fixture
def batch(make_email):
    """The fixture batch, its placeholders replaced by the Message-IDs of real queued emails."""
    emails = {name: make_email(f"{name.lower()}@example.com") for name in ("ALICE", "GONE", "FULL", "ANGRY", "BYE")}
    replacements = {f"MESSAGE_ID_{name}": email.message_id for name, email in emails.items()}
    return load("sparkpost_batch.json", **replacements), emails


def test_batch_sets_each_recipients_status_and_logs_every_event(client, batch):
    body, emails = batch
    response = post(client, body)

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "processed": 7, "matched": 7, "ignored": 0}
    status = {name: Email.objects.get(pk=email.pk).recipient_delivery_status for name, email in emails.items()}
    assert status == {
        "ALICE": S.CLICKED,  # injection, delivery, click: the best engagement wins
        "GONE": S.HARD_BOUNCED,  # bounce class 10 (invalid recipient): hard
        "FULL": S.SOFT_BOUNCED,  # bounce class 22 (mailbox full): soft
        "ANGRY": S.SPAM_COMPLAINT,
        "BYE": S.UNSUBSCRIBED,
    }
    assert list(Log.objects.filter(email=emails["ALICE"]).order_by("pk").values_list("status", flat=True)) == [
        S.ACCEPTED, S.DELIVERED, S.CLICKED,
    ]
    assert sorted(Suppression.objects.values_list("address", "reason")) == [
        ("angry@example.com", "complaint"), ("gone@example.com", "hard_bounce"),
    ]


@pytest.mark.parametrize("authorization", [
    None, auth(SPARKPOST_AUTH[0], "wrong"), auth("someone", SPARKPOST_AUTH[1]), "Bearer abc", "Basic !!notbase64",
])
def test_bad_or_missing_credentials_are_refused_with_403_and_nothing_written(client, batch, authorization):
    body, emails = batch
    assert post(client, body, authorization).status_code == 403
    assert not Email.objects.filter(recipient_delivery_status__isnull=False).exists()
    assert not Log.objects.exists()
    assert not Suppression.objects.exists()


def test_unconfigured_credentials_refuse_every_request(client, batch, settings):
    settings.POST_OFFICE["WEBHOOKS"]["SPARKPOST"] = {}
    body, _emails = batch
    assert post(client, body).status_code == 403
    assert not Log.objects.exists()


def test_verification_off_accepts_unauthenticated_requests(client, batch, settings):
    settings.POST_OFFICE["WEBHOOKS"]["sparkpost"] = {"VERIFY_SIGNATURE": False}  # keys match in any case
    del settings.POST_OFFICE["WEBHOOKS"]["SPARKPOST"]
    body, _emails = batch
    assert post(client, body, authorization=None).status_code == 200
    assert Log.objects.count() == 7


@pytest.mark.parametrize("body, error", [
    ('[{"msys": ', "not valid JSON"),
    ('{"msys": {}}', "expected a JSON array"),
    ('[42]', "[0]: expected an object"),
])
def test_malformed_body_is_answered_400_naming_the_problem(client, webhook_settings, body, error):
    response = post(client, body)
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert not Log.objects.exists()


def test_test_ping_with_empty_msys_is_accepted(client, webhook_settings):
    response = post(client, [{"msys": {}}])
    assert response.status_code == 200
    assert response.json()["processed"] == 0


def _flood(n: int, tag: str) -> tuple[str, list[int]]:
    """``n`` delivery events, one per fresh email, as one SparkPost batch."""
    emails = Email.objects.bulk_create(
        Email(to=[f"r{i}@example.com"], from_email="shop@example.org", status=0, message_id=f"<flood-{tag}-{i}@mail>")
        for i in range(n)
    )
    events = [{"msys": {"message_event": {
        "type": "delivery", "event_id": str(i), "message_id": f"0004{i:016x}", "timestamp": "1715677923",
        "rcpt_to": f"r{i}@example.com", "rcpt_meta": {"message_id": f"<flood-{tag}-{i}@mail>"},
    }}} for i in range(n)]
    return json.dumps(events), [email.pk for email in emails]


def _log_inserts(n: int) -> int:
    """INSERTs ``bulk_create`` needs for ``n`` Log rows on this database (SQLite caps parameters)."""
    fields = [f for f in Log._meta.concrete_fields if not f.primary_key]
    per_insert = connection.ops.bulk_batch_size(fields, [Log()] * n) or n
    return math.ceil(n / per_insert)


def test_flood_of_10000_events_costs_the_same_queries_as_100_apart_from_insert_batches(
    client, webhook_settings, django_assert_max_num_queries
):
    body, pks = _flood(100, tag="small")
    with CaptureQueriesContext(connection) as small:
        assert post(client, body).json()["matched"] == 100
    fixed = len(small) - _log_inserts(100)

    body, pks = _flood(10_000, tag="flood")
    with django_assert_max_num_queries(fixed + _log_inserts(10_000)) as flood:
        response = post(client, body)

    assert response.status_code == 200
    assert response.json()["matched"] == 10_000
    # Only the Log INSERTs grow, and only by the database's own bulk_create batch size
    # (SQLite: 999 parameters / 5 columns = 199 rows per INSERT; PostgreSQL: one INSERT).
    insert = f"INSERT INTO {connection.ops.quote_name('post_office_log')} "
    log_inserts = [q for q in flood.captured_queries if q["sql"].startswith(insert)]
    assert len(log_inserts) == _log_inserts(10_000)
    assert len(flood) - len(log_inserts) == fixed
    assert Email.objects.filter(pk__in=pks, recipient_delivery_status=S.DELIVERED).count() == 10_000
    assert Log.objects.filter(email_id__in=pks).count() == 10_000
