"""Two dispatcher processes on one SQLite file: nothing sent twice, nothing left behind."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from post_office.models import STATUS, Email, Log
from tests.support.processes import finish, start_dispatcher, terminate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def test_two_dispatcher_processes_on_sqlite_send_nothing_twice(test_db_name, sink_process, queue_emails):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite claim path (make test runs it in the SQLite pass only)")
    total = 2000
    queue_emails(total)
    # 5 ms per message: one dispatcher alone would need over 5 s, far more than the other's start-up.
    sink = sink_process(delay=0.005)
    settings = {"BATCH_SIZE": 50, "THREADS_PER_PROCESS": 2}
    dispatchers = [start_dispatcher(test_db_name, sink.port, settings) for _ in range(2)]
    try:
        outputs = [finish(dispatcher, timeout=120)[0] for dispatcher in dispatchers]
    finally:
        terminate(*dispatchers)

    seen = sink.message_ids()
    assert len(seen) == total
    assert sum(seen.values()) == total
    assert Email.objects.filter(status=STATUS.sent).count() == total
    assert Log.objects.filter(status=STATUS.sent).count() == total
    # Both really took part (neither gave up on a contended claim and left the other alone).
    sent_by_each = [int(re.search(r"Done in [\d.]+s: (\d+) sent", out).group(1)) for out in outputs]
    assert sum(sent_by_each) == total
    assert min(sent_by_each) > 0, outputs
