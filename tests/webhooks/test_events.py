"""The recording path every provider shares: best status wins, per-recipient events, counts."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from post_office.events import (
    STATUS_RANK,
    ESPEvent,
    bounce_and_complaint_counts,
    events_for_email,
    recipient_statuses,
    record_events,
)
from post_office.models import Email, Log, RecipientDeliveryStatus
from post_office.webhooks import STATUS_PRIORITY

from .conftest import SPARKPOST_AUTH

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.webhooks.urls")]

S = RecipientDeliveryStatus
AUTH = "Basic " + base64.b64encode(":".join(SPARKPOST_AUTH).encode()).decode()


def sparkpost(client, email: Email, *events: tuple[str, str, dict]) -> None:
    batch = [{"msys": {"message_event": {
        "type": kind, "message_id": "00043e5b3a61cc2eb6d1", "timestamp": "1715677923",
        "rcpt_to": recipient, "rcpt_meta": {"message_id": email.message_id}, **extra,
    }}} for kind, recipient, extra in events]
    response = client.post(reverse("sparkpost-webhook"), json.dumps(batch), content_type="application/json",
                           HTTP_AUTHORIZATION=AUTH)
    assert response.status_code == 200, response.content


def status_of(email: Email) -> int | None:
    email.refresh_from_db()
    return email.recipient_delivery_status


def test_late_delivery_does_not_overwrite_a_click(client, make_email):
    email = make_email("alice@example.com")
    sparkpost(client, email, ("click", "alice@example.com", {}))
    sparkpost(client, email, ("delivery", "alice@example.com", {}))
    sparkpost(client, email, ("open", "alice@example.com", {}))

    assert status_of(email) == S.CLICKED
    assert list(Log.objects.filter(email=email).order_by("pk").values_list("status", flat=True)) == [
        S.CLICKED, S.DELIVERED, S.OPENED,  # every event is logged, whatever its rank
    ]


def test_bounce_outranks_engagement_and_complaint_outranks_bounce(client, make_email):
    email = make_email("alice@example.com")
    sparkpost(client, email, ("delivery", "alice@example.com", {}), ("click", "alice@example.com", {}))
    assert status_of(email) == S.CLICKED
    sparkpost(client, email, ("bounce", "alice@example.com", {"bounce_class": "22"}))
    assert status_of(email) == S.SOFT_BOUNCED
    sparkpost(client, email, ("bounce", "alice@example.com", {"bounce_class": "10"}))
    assert status_of(email) == S.HARD_BOUNCED
    sparkpost(client, email, ("spam_complaint", "alice@example.com", {}), ("click", "alice@example.com", {}))
    assert status_of(email) == S.SPAM_COMPLAINT


def test_one_batch_with_events_out_of_order_keeps_the_best(client, make_email):
    email = make_email("alice@example.com")
    sparkpost(client, email, ("click", "alice@example.com", {}), ("injection", "alice@example.com", {}),
              ("delivery", "alice@example.com", {}))
    assert status_of(email) == S.CLICKED


def test_ranking_is_total_and_the_compat_priority_is_its_reverse():
    assert set(STATUS_RANK) == set(S)
    order = sorted(S, key=STATUS_RANK.get)
    assert order == [S.ACCEPTED, S.DEFERRED, S.DELIVERED, S.OPENED, S.CLICKED, S.UNSUBSCRIBED,
                     S.SOFT_BOUNCED, S.UNDETERMINED_BOUNCED, S.HARD_BOUNCED, S.SPAM_COMPLAINT]
    assert sorted(S, key=STATUS_PRIORITY.get) == order[::-1]  # upstream's convention: 1 wins


def test_events_are_shown_per_recipient(client, make_email):
    email = make_email("alice@example.com", cc=["bob@example.com"])
    sparkpost(client, email, ("delivery", "alice@example.com", {}), ("delivery", "bob@example.com", {}),
              ("click", "alice@example.com", {"target_link_url": "https://example.org/a"}),
              ("bounce", "Bob@Example.com", {"bounce_class": "10", "raw_reason": "550 no\n such user"}))

    assert status_of(email) == S.HARD_BOUNCED  # the email shows its most serious recipient
    assert recipient_statuses(email) == {"alice@example.com": S.CLICKED, "bob@example.com": S.HARD_BOUNCED}
    events = events_for_email(email.pk)
    assert [(e.recipient, e.status_label) for e in events] == [
        ("alice@example.com", "Delivered"), ("bob@example.com", "Delivered"),
        ("alice@example.com", "Clicked"), ("bob@example.com", "Hard Bounced"),
    ]
    assert events[2].description == "sparkpost click at 2024-05-14T09:12:03+00:00 - https://example.org/a"
    assert events[3].description.endswith("- 550 no such user")


def test_record_events_is_usable_directly_for_other_providers(make_email, django_assert_max_num_queries):
    first, second = make_email("alice@example.com"), make_email("bob@example.com")
    when = datetime(2024, 5, 14, 9, 0, tzinfo=UTC)
    events = [
        ESPEvent("delivered", S.DELIVERED, "alice@example.com", first.message_id.strip("<>"), when),
        ESPEvent("opened", S.OPENED, "alice@example.com", first.message_id, when + timedelta(minutes=1)),
        ESPEvent("delivered", S.DELIVERED, "bob@example.com", second.message_id, when),
        ESPEvent("delivered", S.DELIVERED, "carol@example.com", "<unknown@nowhere>", when),
        ESPEvent("delivered", S.DELIVERED, "dave@example.com", None, when),
    ]
    # match, savepoint, lock (PostgreSQL), one UPDATE per new status (2), Log INSERT, release
    with django_assert_max_num_queries(7):
        result = record_events(events, provider="myesp")

    assert (result.received, result.matched, result.unknown, result.emails_updated) == (5, 3, 2, 2)
    assert (status_of(first), status_of(second)) == (S.OPENED, S.DELIVERED)


def test_bounce_and_complaint_counts_group_by_backend(client, make_email, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BACKENDS": {
        "default": "django.core.mail.backends.locmem.EmailBackend",
        "bulk": "django.core.mail.backends.locmem.EmailBackend",
    }}
    default, bulk = make_email("a@example.com"), make_email("b@example.com", backend="bulk")
    sparkpost(client, default, ("bounce", "a@example.com", {"bounce_class": "10"}),
              ("delivery", "a@example.com", {}))
    sparkpost(client, bulk, ("bounce", "b@example.com", {"bounce_class": "22"}),
              ("spam_complaint", "b@example.com", {}))

    assert bounce_and_complaint_counts() == {
        "default": {"bounced": 1, "complained": 0},
        "bulk": {"bounced": 1, "complained": 1},
    }
    assert bounce_and_complaint_counts(since=datetime.now(UTC) + timedelta(minutes=1)) == {}
