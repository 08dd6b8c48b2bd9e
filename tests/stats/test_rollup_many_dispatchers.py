"""Acceptance: after a mixed run (sent, failed, retried, requeued) by several dispatcher processes
on PostgreSQL, the rollup's counts equal what really happened (sink, Email rows, Logs)."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from post_office.models import STATUS, Email, Log
from post_office.operations import requeue_failed
from tests.stats.conftest import rollup_totals
from tests.support.processes import finish, start_dispatcher, terminate

pytestmark = pytest.mark.django_db(transaction=True)
SETTINGS = {"LOG_LEVEL": 2, "BATCH_SIZE": 25, "MAX_RETRIES": 2, "RETRY_INTERVAL": 0, "THREADS_PER_PROCESS": 2}


def run_dispatchers(db_name: str, port: int) -> None:
    # Two commands at once, one of them forking two processes: three dispatchers on one queue.
    dispatchers = [start_dispatcher(db_name, port, SETTINGS, "--processes", "2"),
                   start_dispatcher(db_name, port, SETTINGS)]
    try:
        for dispatcher in dispatchers:
            finish(dispatcher, timeout=180)
    finally:
        terminate(*dispatchers)


def test_rollup_equals_the_truth_after_a_mixed_run_by_several_dispatchers(
        on_postgres, test_db_name, sink_process, queue_emails):
    ok, flaky, rejected = 240, 40, 20
    queue_emails(ok)
    queue_emails(flaky, headers={"X-Fault": "451-once"})  # fails once, retried, then delivered
    rejected_ids = queue_emails(rejected, headers={"X-Fault": "550"})  # permanent: failed at once
    sink = sink_process()

    run_dispatchers(test_db_name, sink.port)
    assert rollup_totals() == {"sent": ok + flaky, "failed": rejected, "retried": flaky, "requeued": 0}

    assert requeue_failed(Email.objects.filter(pk__in=rejected_ids), actor="ops").done == rejected
    run_dispatchers(test_db_name, sink.port)  # the requeued fail again, for good

    totals = rollup_totals()
    assert totals == {"sent": ok + flaky, "failed": 2 * rejected, "retried": flaky, "requeued": rejected}
    # ... and each figure is what the sink, the Email rows and the Logs say happened.
    assert len(sink.message_ids()) == totals["sent"] == Email.objects.filter(status=STATUS.sent).count()
    assert Log.objects.filter(status=STATUS.sent).count() == totals["sent"]
    assert Log.objects.filter(status=STATUS.failed).count() == totals["failed"] + totals["retried"]
    assert Log.objects.filter(status=STATUS.requeued).count() == totals["requeued"]
    assert Email.objects.aggregate(n=Sum("number_of_retries"))["n"] == totals["retried"]
    assert Email.objects.filter(status=STATUS.failed).count() == rejected
