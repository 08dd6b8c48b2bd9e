"""``manage.py send_queued_mail`` as operators run it: progress, summary, --processes, SIGTERM."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from post_office.models import STATUS, Email, Log
from tests.support.processes import finish, start_dispatcher, terminate

pytestmark = pytest.mark.django_db(transaction=True)


def test_long_run_prints_progress_lines_and_a_summary(test_db_name, sink_process, queue_emails, tmp_path):
    queue_emails(400)
    sink = sink_process(delay=0.01)  # ~1.5 s of work for 2 processes x 2 threads
    lockfile = tmp_path / "legacy-lock"
    dispatcher = start_dispatcher(test_db_name, sink.port, {"BATCH_SIZE": 20, "THREADS_PER_PROCESS": 2},
                                  "--processes", "2", "--progress-interval", "0.3", "--lockfile", str(lockfile))
    try:
        out, _err = finish(dispatcher, timeout=120)
    finally:
        terminate(dispatcher)

    progress = re.findall(r"Progress: sent (\d+), failed 0, requeued 0, remaining (\d+), [\d.]+ emails/s", out)
    assert len(progress) >= 2, out
    assert [int(sent) for sent, _ in progress] == sorted(int(sent) for sent, _ in progress)
    assert re.search(r"Done in [\d.]+s: 400 sent, 0 failed, 0 requeued, 0 still due \([\d.]+ emails/s\)", out), out
    assert not Path(f"{lockfile}.lock").exists() and not lockfile.exists()  # --lockfile: accepted, ignored
    assert len(sink.message_ids()) == 400


def test_sigterm_finishes_the_emails_in_hand_records_them_and_exits(test_db_name, sink_process, queue_emails):
    ids = queue_emails(300)
    # 100 ms per message: the whole queue would take 15 s, a prompt stop well under 10 s.
    sink = sink_process(delay=0.1)
    dispatcher = start_dispatcher(test_db_name, sink.port,
                                  {"BATCH_SIZE": 100, "THREADS_PER_PROCESS": 2, "LOG_LEVEL": 2})
    try:
        assert sink.wait_for(20, timeout=30) >= 20
        dispatcher.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, _err = finish(dispatcher, timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        terminate(dispatcher)

    time.sleep(0.1)
    delivered = set(sink.message_ids())
    sent = set(Email.objects.filter(status=STATUS.sent).values_list("message_id", flat=True))
    assert stopped_in < 10 and 20 <= len(delivered) < 300, out
    assert delivered == sent  # everything the server accepted is recorded: no duplicate window
    assert Log.objects.count() == len(sent)
    # The rest is back in the queue, unclaimed, no attempt spent.
    rest = Email.objects.filter(id__in=ids).exclude(status=STATUS.sent)
    assert set(rest.values_list("status", "lease_token", "number_of_retries")) == {(STATUS.queued, "", None)}
