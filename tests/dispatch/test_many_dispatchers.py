"""Several dispatcher processes over one queue on PostgreSQL and MariaDB: each email delivered exactly once."""

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
    assert_delivered_once_by_several(4, 20_000, test_db_name, sink_process, queue_emails)


def test_three_dispatcher_processes_on_mariadb_deliver_each_email_once(
        on_mariadb, test_db_name, sink_process, queue_emails):
    """MySQL/MariaDB claim without UPDATE ... RETURNING: SELECT ... FOR UPDATE SKIP LOCKED, a
    conditional stamp, then a read back of the rows won."""
    assert_delivered_once_by_several(3, 3000, test_db_name, sink_process, queue_emails)


def assert_delivered_once_by_several(processes: int, total: int, test_db_name, sink_process, queue_emails) -> None:
    queue_emails(total)
    sink = sink_process()
    started = time.monotonic()
    dispatchers = [start_dispatcher(test_db_name, sink.port, {"LOG_LEVEL": 2, "BATCH_SIZE": 200})
                   for _ in range(processes)]
    try:
        for dispatcher in dispatchers:
            finish(dispatcher, timeout=300)
    finally:
        terminate(*dispatchers)
    elapsed = time.monotonic() - started
    print(f"\n{total:,} emails, {processes} dispatchers: {elapsed:.1f}s, {total / elapsed:.0f} emails/s")

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
