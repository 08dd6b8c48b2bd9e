"""The per-minute rollup: increments (never overwrites), commits with the batch's outcome, and
counts what the dispatcher and the console really did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from post_office import mail
from post_office.dispatch.deliver import DeliveryResult
from post_office.dispatch.engine import send_queued_until_done
from post_office.dispatch.record import record
from post_office.dispatch.retry import RetryPolicy
from post_office.models import STATUS, DeliveryStat, Email, Log
from post_office.operations import requeue_failed
from post_office.stats.rollup import BackendCounts, add_to_rollup, prune
from tests.stats.conftest import rollup_totals

pytestmark = pytest.mark.django_db(transaction=True)
NOON = datetime(2025, 3, 1, 12, 0, 30, tzinfo=UTC)


def test_upsert_adds_to_the_same_minutes_row_instead_of_overwriting():
    add_to_rollup({"default": BackendCounts(sent=3, latency_ms=300)}, NOON)
    add_to_rollup({"default": BackendCounts(sent=2, failed=1, last_error="SMTPDataError: 550")},
                  NOON + timedelta(seconds=20))
    add_to_rollup({"bulk": BackendCounts(retried=4)}, NOON)
    row = DeliveryStat.objects.get(backend_alias="default")
    assert (row.bucket, row.sent, row.failed, row.latency_ms) == (NOON.replace(second=0), 5, 1, 300)
    assert row.last_error == "SMTPDataError: 550"
    assert row.last_sent_at == NOON + timedelta(seconds=20)
    assert DeliveryStat.objects.get(backend_alias="bulk").retried == 4
    assert DeliveryStat.objects.count() == 2


def test_a_later_write_without_an_error_keeps_the_minutes_last_error():
    add_to_rollup({"default": BackendCounts(failed=1, last_error="boom")}, NOON)
    add_to_rollup({"default": BackendCounts(sent=1)}, NOON + timedelta(seconds=5))
    row = DeliveryStat.objects.get()
    assert (row.last_error, row.last_failed_at, row.sent) == ("boom", NOON, 1)


def test_the_next_minute_gets_its_own_row():
    add_to_rollup({"default": BackendCounts(sent=1)}, NOON)
    add_to_rollup({"default": BackendCounts(sent=1)}, NOON + timedelta(minutes=1))
    assert list(DeliveryStat.objects.order_by("bucket").values_list("sent", flat=True)) == [1, 1]


def test_rollup_is_rolled_back_with_the_batch_it_counts(smtp_backend):
    email = mail.send(recipients=["a@example.com"], sender="s@example.com", subject="hi", message="x")
    with pytest.raises(RuntimeError), transaction.atomic():
        record([DeliveryResult(email)], log_level=2, policy=RetryPolicy.from_settings())
        assert DeliveryStat.objects.get().sent == 1  # written, inside the same transaction
        raise RuntimeError("the batch's transaction fails after recording")
    assert DeliveryStat.objects.count() == 0
    assert Email.objects.get(pk=email.pk).status == STATUS.queued


def test_stats_disabled_writes_no_rollup(settings, smtp_backend):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "STATS_ENABLED": False}
    mail.send(recipients=["a@example.com"], sender="s@example.com", subject="hi", message="x")
    assert send_queued_until_done() == (1, 0, 0)
    assert len(smtp_backend.messages) == 1
    assert DeliveryStat.objects.count() == 0


def test_dispatch_counts_sent_failed_and_retried_per_backend(settings, smtp_backend):
    # One delivery thread: the 550 is sent after the 451, so it is the minute's last error.
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 2, "RETRY_INTERVAL": 0,
                            "MESSAGE_ID_ENABLED": True, "THREADS_PER_PROCESS": 1, "BACKENDS": {
        "default": "django.core.mail.backends.smtp.EmailBackend",
        "bulk": "django.core.mail.backends.smtp.EmailBackend"}}
    for n in range(3):
        mail.send(recipients=[f"ok{n}@example.com"], sender="s@example.com", subject="ok", message="x")
    mail.send(recipients=["later@example.com"], sender="s@example.com", subject="451", message="x",
              headers={"X-Fault": "451-once"}, backend="bulk")
    mail.send(recipients=["never@example.com"], sender="s@example.com", subject="550", message="x",
              headers={"X-Fault": "550"}, backend="bulk")
    send_queued_until_done()
    assert len(smtp_backend.messages) == 4
    assert rollup_totals("default") == {"sent": 3, "failed": 0, "retried": 0, "requeued": 0}
    assert rollup_totals("bulk") == {"sent": 1, "failed": 1, "retried": 1, "requeued": 0}
    bulk = DeliveryStat.objects.filter(backend_alias="bulk").order_by("-last_failed_at").first()
    assert "550" in bulk.last_error
    assert DeliveryStat.objects.filter(backend_alias="default").first().latency_ms >= 0


def test_console_requeue_is_counted_as_requeued(smtp_backend):
    email = mail.send(recipients=["a@example.com"], sender="s@example.com", subject="hi", message="x",
                      headers={"X-Fault": "550"})
    send_queued_until_done()
    assert Email.objects.get(pk=email.pk).status == STATUS.failed
    result = requeue_failed(Email.objects.filter(pk=email.pk), actor="ops")
    assert result.done == 1
    assert rollup_totals() == {"sent": 0, "failed": 1, "retried": 0, "requeued": 1}
    assert Log.objects.filter(email=email, status=STATUS.requeued).count() == 1


def test_prune_deletes_only_old_minutes():
    add_to_rollup({"default": BackendCounts(sent=1)}, NOON - timedelta(days=100))
    add_to_rollup({"default": BackendCounts(sent=1)}, NOON)
    assert prune(timedelta(days=90), now=NOON) == 1
    assert DeliveryStat.objects.get().bucket == NOON.replace(second=0)
