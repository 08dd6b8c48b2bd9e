"""Celery: a real worker (``celery -A demo worker``) on Redis delivers what CELERY_ENABLED queues,
and two workers at once send nothing twice. PostgreSQL: the workers are other processes."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from celery import Celery

from post_office import mail
from post_office.models import STATUS, Email, Log
from post_office.tasks import send_queued_mail
from tests.support.celery_workers import REDIS_URL, Worker, purge, redis_available
from tests.support.services import require
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def celery_queue():
    """A queue name unique to this test, and this process's Celery app publishing to it."""
    require(redis_available(), "Redis at 127.0.0.1:6379")
    queue = f"post_office_test_{uuid.uuid4().hex[:8]}"
    app = Celery("post_office_tests", broker=REDIS_URL, set_as_current=False)
    app.conf.update(task_default_queue=queue, task_ignore_result=True, broker_connection_retry_on_startup=False)
    previous = send_queued_mail._get_current_object().app
    app.set_current()
    purge(queue)
    yield queue
    purge(queue)
    previous.set_current()
    app.close()


@pytest.fixture
def workers(celery_queue, test_db_name, sink_process, tmp_path):
    started: list[Worker] = []

    def start(count: int, smtp_port: int) -> list[Worker]:
        new = [Worker(f"w{len(started) + n}-{celery_queue}", celery_queue, test_db_name, smtp_port,
                      tmp_path / f"worker{len(started) + n}.log") for n in range(count)]
        started.extend(new)
        for worker in new:
            worker.wait_ready()
        return new

    yield start
    for worker in started:
        worker.stop()


def test_worker_delivers_emails_queued_with_celery_enabled_within_seconds(
        on_postgres, settings, workers, sink_process):
    sink = sink_process()
    workers(1, sink.port)
    settings.POST_OFFICE = {**settings.POST_OFFICE, "CELERY_ENABLED": True, "MESSAGE_ID_ENABLED": True}

    queued_at = time.monotonic()
    for n in range(3):
        mail.send(f"user{n}@example.com", "shop@example.com", subject=f"Order {n}", message="Thanks")
    assert sink.wait_for(3, timeout=60) == 3
    delivered_in = time.monotonic() - queued_at

    # Nothing else sends here: the task queued on commit did it, within seconds (a generous bound
    # for a loaded CI machine; the worker itself was up before the emails were queued).
    assert delivered_in < 30
    assert sorted(line["subject"] for line in sink.lines()) == ["Order 0", "Order 1", "Order 2"]
    assert wait_until(lambda: Email.objects.filter(status=STATUS.sent).count() == 3, timeout=10)


def test_two_workers_at_once_send_nothing_twice(on_postgres, settings, workers, sink_process, queue_emails):
    # 5 ms per message: one worker alone needs well over the time both take to start their task.
    sink = sink_process(delay=0.005)
    pair = workers(2, sink.port)
    total = 2000
    queue_emails(total)
    send_queued_mail.delay()
    send_queued_mail.delay()  # one task each: both workers drain the same queue at once

    assert sink.wait_for(total, timeout=90) == total
    assert wait_until(lambda: Email.objects.filter(status=STATUS.sent).count() == total, timeout=10)
    seen = sink.message_ids()
    assert len(seen) == total and sum(seen.values()) == total
    assert Log.objects.filter(status=STATUS.sent).count() == total
    # Each task logs its return value, (sent, failed, requeued), once it has closed its run.
    def sent_by() -> list[int]:
        return [sum(int(n) for n in re.findall(r"send_queued_mail\[[\w-]+\] succeeded in [\d.]+s: \((\d+), 0, 0\)",
                                                 w.output())) for w in pair]

    assert wait_until(lambda: sum(sent_by()) == total, timeout=60), sent_by()
    assert min(sent_by()) > 0, sent_by()  # both really worked the queue


class Rollback(Exception):
    pass


def test_a_transaction_enqueues_one_delivery_task_however_many_emails_it_queues(celery_queue, settings):
    import redis
    from django.db import transaction

    settings.POST_OFFICE = {**settings.POST_OFFICE, "CELERY_ENABLED": True}
    broker = redis.Redis.from_url(REDIS_URL)

    def tasks() -> int:  # the delivery tasks waiting in this test's queue (no worker takes them)
        return broker.llen(celery_queue)

    def send(n: int = 0) -> None:
        mail.send(f"user{n}@example.com", "shop@example.com", subject="Hi", message="Hello")

    with transaction.atomic():
        for n in range(5):
            send(n)
        mail.send_many([{"recipients": ["a@example.com"], "sender": "shop@example.com", "subject": "Hi"}] * 3)
        assert tasks() == 0  # nothing before the commit
    assert tasks() == 1

    with transaction.atomic():
        with pytest.raises(Rollback), transaction.atomic():  # a savepoint rolled back with its callback
            send()
            raise Rollback
        send()  # so this one enqueues again
    assert tasks() == 2

    with pytest.raises(Rollback), transaction.atomic():
        send()
        raise Rollback
    assert tasks() == 2  # rolled back: nothing to deliver, no task

    send(1)
    send(2)  # no transaction: each commits, and enqueues, on its own
    assert tasks() == 4
