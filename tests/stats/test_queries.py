"""The dashboard's figures, from known rollup rows and queue states."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from post_office.models import PRIORITY, STATUS, Email, Log
from post_office.stats import queries
from post_office.stats.rollup import BackendCounts, add_to_rollup

pytestmark = pytest.mark.django_db


def queued(priority=PRIORITY.medium, **fields) -> Email:
    return Email.objects.create(from_email="s@example.com", to=["a@example.com"], status=STATUS.queued,
                                priority=priority, **fields)


def test_overview_sums_the_rollup_by_window_and_counts_the_queue_by_priority():
    now = timezone.now()
    add_to_rollup({"default": BackendCounts(sent=10, failed=1)}, now - timedelta(minutes=2))
    add_to_rollup({"default": BackendCounts(sent=5, retried=2, requeued=3)}, now - timedelta(hours=3))
    add_to_rollup({"default": BackendCounts(sent=100)}, now - timedelta(days=2))
    queued(PRIORITY.high)
    queued(PRIORITY.low)
    queued(PRIORITY.low, scheduled_time=now + timedelta(hours=1))
    Email.objects.create(from_email="s@example.com", to=["b@example.com"], status=STATUS.sent)
    overview = queries.overview(now)
    assert (overview.sent_1h, overview.failed_1h) == (10, 1)
    assert (overview.sent_24h, overview.failed_24h, overview.retried_24h, overview.requeued_24h) == (15, 1, 2, 3)
    assert overview.queued == 3 and overview.scheduled == 1
    assert overview.queued_by_priority == {"now": 0, "high": 1, "medium": 0, "low": 2}
    assert overview.rate_per_minute > 0


def test_oldest_queued_age_ignores_emails_scheduled_for_later():
    now = timezone.now()
    assert queries.oldest_queued_age(now) is None
    old = queued(PRIORITY.low)
    Email.objects.filter(pk=old.pk).update(created=now - timedelta(hours=2))
    future = queued(PRIORITY.high, scheduled_time=now + timedelta(days=1))
    Email.objects.filter(pk=future.pk).update(created=now - timedelta(days=3))
    assert queries.oldest_queued_age(now) == pytest.approx(7200, abs=1)
    retry = queued(PRIORITY.medium, scheduled_time=now - timedelta(hours=3))  # a retry now due
    Email.objects.filter(pk=retry.pk).update(created=now - timedelta(hours=5))
    assert queries.oldest_queued_age(now) == pytest.approx(3 * 3600, abs=1)


def test_per_minute_series_has_one_point_per_minute_and_a_series_per_backend(settings):
    settings.POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend",
                                         "bulk": "django.core.mail.backends.locmem.EmailBackend"}}
    now = timezone.now()
    add_to_rollup({"bulk": BackendCounts(sent=7, failed=2)}, now - timedelta(minutes=10))
    series = queries.per_minute(now)
    assert len(series.labels) == 1440
    assert set(series.backends) == {"default", "bulk"}
    assert sum(series.backends["bulk"]["sent"]) == 7 and series.backends["bulk"]["failed"][-11] == 2
    assert sum(series.backends["default"]["sent"]) == 0
    days = queries.per_day(now)
    assert len(days.labels) == 30 and days.backends["bulk"]["sent"][-1] + days.backends["bulk"]["sent"][-2] == 7


def test_failure_reasons_group_messages_by_pattern_and_skip_cancellations():
    emails = [queued() for _ in range(4)]
    for n, email in enumerate(emails[:3]):
        Log.objects.create(email=email, status=STATUS.failed, exception_type="SMTPRecipientsRefused",
                           message=f"{{'user{n}@example.com': (550, b'5.1.1 No such user {1000 + n}')}}")
    Log.objects.create(email=emails[3], status=STATUS.failed, exception_type="TimeoutError", message="timed out")
    Log.objects.create(email=emails[3], status=STATUS.failed, exception_type="Cancelled", message="Cancelled by x")
    old = Log.objects.create(email=emails[3], status=STATUS.failed, exception_type="OldError", message="x")
    Log.objects.filter(pk=old.pk).update(date=timezone.now() - timedelta(days=2))
    reasons = queries.failure_reasons()
    assert [(r.exception_type, r.count) for r in reasons] == [("SMTPRecipientsRefused", 3), ("TimeoutError", 1)]
    assert "<address>" in reasons[0].pattern and "example.com" not in reasons[0].pattern
    assert reasons[0].email_ids == sorted(e.pk for e in emails[:3])


def test_message_pattern_keeps_smtp_codes_and_masks_variable_parts():
    pattern = queries.message_pattern("SMTP 451: Greylisted 203.0.113.9 for bob@example.org, id 9f8e7d6c5b")
    assert pattern == "SMTP 451: Greylisted <ip> for <address>, id <hex>"


def test_backend_health_reports_rates_latency_and_the_last_error(settings):
    settings.POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend"}}
    now = timezone.now()
    add_to_rollup({"default": BackendCounts(sent=6, latency_ms=1200)}, now - timedelta(minutes=5))
    add_to_rollup({"default": BackendCounts(failed=1, retried=1, last_error="SMTPDataError: 554")},
                  now - timedelta(minutes=1))
    add_to_rollup({"gone": BackendCounts(sent=1)}, now - timedelta(minutes=1))
    default, gone = queries.backend_health(now)
    assert (default.sent_1h, default.failed_1h, default.latency_ms) == (6, 1, 200.0)
    assert default.failure_rate == pytest.approx(2 / 8)
    assert default.last_error == "SMTPDataError: 554"
    assert default.last_sent_at == now - timedelta(minutes=5)
    assert (gone.alias, gone.path) == ("gone", "")
