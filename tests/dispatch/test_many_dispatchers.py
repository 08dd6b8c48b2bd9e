"""Several dispatcher processes over one queue on PostgreSQL: each email delivered exactly once."""

from __future__ import annotations

import time

import pytest
from django.db.models import Count

from post_office.models import STATUS, Email, Log
from tests.support.processes import finish, start_dispatcher, terminate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.slow
def test_four_dispatcher_processes_deliver_20000_emails_exactly_once(
        on_postgres, test_db_name, sink_process, queue_emails):
    total = 20_000
    queue_emails(total)
    sink = sink_process()
    started = time.monotonic()
    dispatchers = [start_dispatcher(test_db_name, sink.port, {"LOG_LEVEL": 2, "BATCH_SIZE": 200})
                   for _ in range(4)]
    try:
        for dispatcher in dispatchers:
            finish(dispatcher, timeout=300)
    finally:
        terminate(*dispatchers)
    elapsed = time.monotonic() - started
    print(f"\n20,000 emails, 4 dispatchers: {elapsed:.1f}s, {total / elapsed:.0f} emails/s")

    seen = sink.message_ids()
    assert len(seen) == total
    assert sum(seen.values()) == total, [mid for mid, n in seen.items() if n > 1][:10]
    assert set(seen) == set(Email.objects.values_list("message_id", flat=True))
    assert Email.objects.filter(status=STATUS.sent).count() == total
    assert Email.objects.exclude(lease_token="").count() == 0
    per_email = Log.objects.values("email_id").annotate(n=Count("id"))
    assert per_email.count() == total
    assert set(per_email.values_list("n", flat=True)) == {1}
    assert set(Log.objects.values_list("status", flat=True)) == {STATUS.sent}
