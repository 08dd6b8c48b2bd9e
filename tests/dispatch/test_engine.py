"""The engine's contracts, each against a real database (and a real SMTP server where it sends)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.mail.backends import locmem
from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office import mail
from post_office.dispatch.claim import claim_batch, new_lease_token
from post_office.dispatch.engine import run_batch, send_queued_until_done, send_until_done
from post_office.models import STATUS, Attachment, Email, EmailTemplate, Log
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_expired_lease_returns_the_email_to_the_queue(settings, queue_emails):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "LEASE_DURATION": 60}
    ids = queue_emails(3)
    now = timezone.now()
    first, second = new_lease_token(), new_lease_token()

    assert sorted(e.pk for e in claim_batch(first, 10, now)) == sorted(ids)
    assert claim_batch(second, 10, now + timedelta(seconds=59)) == []  # still held
    reclaimed = claim_batch(second, 10, now + timedelta(seconds=61))  # the first one died

    assert sorted(e.pk for e in reclaimed) == sorted(ids)
    assert set(Email.objects.values_list("lease_token", flat=True)) == {second}


def test_concurrent_claims_never_hand_one_email_to_two_tokens(queue_emails):
    ids = queue_emails(400)
    claimed: dict[str, list[int]] = {}
    start, first_claims_made = threading.Barrier(2, timeout=60), threading.Barrier(2, timeout=60)

    def claimer(name: str) -> None:
        mine = claimed.setdefault(name, [])
        start.wait()
        try:
            mine.extend(email.pk for email in claim_batch(new_lease_token(), 25))
            # Both have claimed once (at the same moment) before either goes on: on a loaded
            # machine one thread could otherwise take the whole queue before the other ran.
            first_claims_made.wait()
            while batch := claim_batch(new_lease_token(), 25):
                mine.extend(email.pk for email in batch)
        finally:
            connections.close_all()  # this thread's own database connection

    threads = [threading.Thread(target=claimer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not set(claimed["a"]) & set(claimed["b"])
    assert sorted(claimed["a"] + claimed["b"]) == sorted(ids)
    assert claimed["a"] and claimed["b"]  # both really competed


def _queue_templated_with_attachment(n: int, template: EmailTemplate, attachment: Attachment) -> None:
    emails = Email.objects.bulk_create([
        Email(from_email="f@example.com", to=[f"u{i}@example.com"], status=STATUS.queued, template=template,
              context={"name": f"user {i}"}, priority=1)  # context set: rendered at delivery
        for i in range(n)
    ])
    Attachment.emails.through.objects.bulk_create([
        Attachment.emails.through(attachment_id=attachment.pk, email_id=email.pk) for email in emails
    ])


def test_queries_per_batch_do_not_grow_with_its_size(settings, mailoutbox):
    # One thread: deliveries run in this thread, so every query they make is captured too.
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 1, "LOG_LEVEL": 2}
    template = EmailTemplate.objects.create(name="welcome", subject="Hi {{ name }}", content="Hello {{ name }}",
                                            html_content="<p>Hello {{ name }}</p>")
    attachment = Attachment(name="terms.txt", mimetype="text/plain")
    attachment.file.save("terms.txt", ContentFile(b"the terms"), save=True)
    _queue_templated_with_attachment(5, template, attachment)
    run_batch()  # warm-up: one-off lookups (caches, content types) are not per-batch costs
    counts, sql = {}, {}
    for size in (50, 200):
        settings.POST_OFFICE = {**settings.POST_OFFICE, "BATCH_SIZE": size}  # results flushed once
        _queue_templated_with_attachment(size, template, attachment)
        with CaptureQueriesContext(connection) as queries:
            tally = run_batch()
        assert tally.sent == size
        counts[size] = len(queries)
        sql[size] = [q["sql"][:80] for q in queries.captured_queries]

    assert len(mailoutbox) == 255
    assert mailoutbox[-1].subject.startswith("Hi user") and mailoutbox[-1].attachments
    # Same statements for 4x the emails: the logs' INSERT stays one statement (SQLite's real
    # parameter limit is far above 200 rows x 5 columns; PostgreSQL binds one array per column).
    assert counts[200] == counts[50], sql
    statements = [q for q in sql[50] if not q.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    # claim 1 (returns the rows), templates 1, attachments 1, record: status UPDATE + log INSERT +
    # statistics row. MySQL has no UPDATE ... RETURNING: its claim selects, stamps and reads back
    # (templates joined), and its log INSERT first reads which emails still exist.
    assert len(statements) <= (8 if connection.vendor == "mysql" else 6), "\n".join(sql[50])


def test_a_batch_without_attachments_costs_three_statements_besides_transactions_and_logs(settings, mailoutbox,
                                                                                         queue_emails):
    # One thread: whatever deliveries query would run here and be counted too.
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 1, "LOG_LEVEL": 2, "BATCH_SIZE": 100}
    queue_emails(100)

    with CaptureQueriesContext(connection) as queries:
        assert run_batch().sent == 100

    log_insert = f"INSERT INTO {connection.ops.quote_name('post_office_log')} "
    statements = [q["sql"] for q in queries.captured_queries
                  if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK", log_insert))]
    # claim and load (one UPDATE ... RETURNING), record (status UPDATE, statistics upsert). MySQL:
    # select, stamp and read back; status UPDATE, which emails still exist, statistics upsert.
    assert len(statements) == (6 if connection.vendor == "mysql" else 3), "\n".join(s[:100] for s in statements)
    assert len(mailoutbox) == 100


def test_a_claim_stamps_exactly_its_batch_and_leaves_the_rest_claimable(queue_emails):
    ids = queue_emails(30)
    token = new_lease_token()

    batch = claim_batch(token, 10)

    assert len(batch) == 10 and {email.lease_token for email in batch} == {token}
    assert sorted(Email.objects.filter(lease_token=token).values_list("id", flat=True)) == sorted(e.pk for e in batch)
    assert len(claim_batch(new_lease_token(), 100)) == 20
    assert sorted(Email.objects.exclude(lease_token="").values_list("id", flat=True)) == sorted(ids)


def test_a_run_keeps_each_threads_connection_open_across_batches(settings, smtp_backend, queue_emails):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 2, "BATCH_SIZE": 10}
    queue_emails(60)

    assert send_queued_until_done() == (60, 0, 0)

    assert len(smtp_backend.messages) == 60
    # Six batches, yet no more connections than threads (a connection per batch would make 12).
    assert smtp_backend.connections == len({m.connection for m in smtp_backend.messages}) <= 2


def test_a_run_keeps_its_database_connection_across_batches(settings, smtp_backend, queue_emails):
    """With Django's default CONN_MAX_AGE = 0, close_old_connections() would reconnect for every
    batch; a run is one unit of work and keeps one connection."""
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 1, "BATCH_SIZE": 10}
    assert connection.settings_dict["CONN_MAX_AGE"] == 0
    queue_emails(50)
    connection.close()
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(threading.current_thread().name)

    connection_created.connect(count)
    try:
        assert send_queued_until_done() == (50, 0, 0)
    finally:
        connection_created.disconnect(count)
    assert opened == [threading.main_thread().name]


def test_a_database_connection_dropped_between_batches_is_replaced(settings, smtp_backend, queue_emails,
                                                                   on_postgres):
    """The server ends the dispatcher's session after its first batch (a restart, a failover):
    the next claim reconnects and the run delivers everything, once."""
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 1, "BATCH_SIZE": 10,
                            "RESULTS_FLUSH_SIZE": 10}
    queue_emails(40)
    terminated = []

    def terminate_after_first_batch(total):
        if terminated:
            return
        pid = connection.connection.info.backend_pid
        admin = connections.create_connection("default")  # another session, as an operator's
        try:
            with admin.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                terminated.append(cursor.fetchone()[0])
        finally:
            admin.close()

    tally = send_until_done(on_batch=terminate_after_first_batch)

    assert terminated == [True]
    assert (tally.sent, tally.failed) == (40, 0)
    assert sorted(m.message["To"] for m in smtp_backend.messages) == sorted(f"user{i}@example.com" for i in range(40))
    assert Email.objects.filter(status=STATUS.sent).count() == 40


def test_each_thread_reuses_one_connection_for_its_whole_batch(settings, smtp_backend, queue_emails):
    # No thread can send the whole batch before the others have started (with only a slow server,
    # a loaded machine once let one thread do it all on one connection).
    smtp_backend.hold_until_connections(3)
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 3, "BATCH_SIZE": 60}
    queue_emails(60)

    assert run_batch().sent == 60

    assert len(smtp_backend.messages) == 60
    assert smtp_backend.connections == 3
    assert len({m.connection for m in smtp_backend.messages}) == 3


def test_batch_delivery_timeout_releases_unsent_emails_to_the_queue(settings, smtp_backend, queue_emails):
    # A slow server, 5 messages/s per connection: the 60 need 6 s, the deadline comes after 1.5 s
    # (long enough for a loaded machine to start the first sends).
    smtp_backend.handler.delay = 0.2
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 2, "BATCH_DELIVERY_TIMEOUT": 1.5,
                            "LOG_LEVEL": 2}
    ids = queue_emails(60)

    tally = run_batch(batch_size=60)

    assert 0 < tally.sent < 60
    assert tally.sent + tally.released == 60 and tally.failed == tally.requeued == 0
    assert len(smtp_backend.messages) == tally.sent
    released = Email.objects.filter(id__in=ids).exclude(status=STATUS.sent)
    assert released.count() == tally.released
    # Back in the queue as they were: no attempt counted, no log, no lease.
    assert set(released.values_list("status", "number_of_retries", "lease_token")) == {(STATUS.queued, None, "")}
    assert not Log.objects.filter(email__in=released).exists()
    assert sorted(e.pk for e in claim_batch(new_lease_token(), 100)) == sorted(released.values_list("pk", flat=True))


def test_priority_now_is_recorded_by_the_same_engine(settings, smtp_backend):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 1, "RETRY_INTERVAL": 0, "LOG_LEVEL": 2,
                            "MESSAGE_ID_ENABLED": True}  # the sink's "451 once" is per Message-ID

    ok = mail.send("a@example.com", "f@example.com", subject="now", message="m", priority="now")
    deferred = mail.send("b@example.com", "f@example.com", subject="later", message="m", priority="now",
                         headers={"X-Fault": "451-once"})

    ok.refresh_from_db()
    deferred.refresh_from_db()
    assert (ok.status, ok.lease_token, ok.lease_expires_at) == (STATUS.sent, "", None)
    assert list(ok.logs.values_list("status", flat=True)) == [STATUS.sent]
    # A 451 is requeued by the retry policy, exactly as in a batch, and the next run delivers it.
    assert (deferred.status, deferred.number_of_retries, deferred.lease_token) == (STATUS.requeued, 1, "")
    assert "451" in deferred.logs.get().message
    assert send_queued_until_done() == (1, 0, 0)
    assert [m.message["Subject"] for m in smtp_backend.messages] == ["now", "later"]


def test_dispatching_an_email_another_dispatcher_holds_sends_nothing(smtp_backend, queue_emails):
    [email_id] = queue_emails(1)
    [held] = claim_batch(new_lease_token(), 10)

    email = Email.objects.get(pk=email_id)
    email.lease_token = ""  # as loaded before the claim
    assert email.dispatch() == STATUS.queued

    assert smtp_backend.messages == []
    assert Email.objects.get(pk=email_id).lease_token == held.lease_token


def test_slow_writes_start_early_and_keep_the_duplicate_window(settings, mailoutbox, queue_emails, monkeypatch):
    """While results are written the threads keep sending, within the window: writes begin before
    RESULTS_FLUSH_SIZE results are in hand, by about what is sent during one write."""
    from post_office.dispatch import pipeline

    flush_size, threads = 40, 2
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": threads, "BATCH_SIZE": flush_size,
                            "RESULTS_FLUSH_SIZE": flush_size}
    queue_emails(400)
    real_record, writes, unrecorded_peaks = pipeline.record, [], []

    def slow_record(results, *args, **kwargs):
        time.sleep(0.05)  # a slow database: the locmem backend sends many emails meanwhile
        unrecorded_peaks.append(len(mailoutbox) - sum(writes))  # sent, not yet committed
        writes.append(len(results))
        return real_record(results, *args, **kwargs)

    monkeypatch.setattr(pipeline, "record", slow_record)
    # No write for want of results on a machine too loaded to deliver any for a tick (0.5 s).
    monkeypatch.setattr(pipeline, "TICK_SECONDS", 30)
    assert send_queued_until_done() == (400, 0, 0)

    assert len(mailoutbox) == 400 and sum(writes) == 400
    assert max(unrecorded_peaks) <= flush_size + threads  # the documented window holds
    full = writes[1:-2]  # the first write learns the pace; the last ones drain the queue
    assert full and all(flush_size // 2 <= n < flush_size for n in full), writes


class PacedBackend(locmem.EmailBackend):
    """The locmem backend at a mail server's pace: 2 ms per message."""

    def send_messages(self, messages):
        time.sleep(0.002)
        return super().send_messages(messages)


class ClockWithoutWrites:
    """The pipeline's clock, stopped from the start of a hidden write until the pipeline next reads
    it (the write's end, in ``_plan_next_flush``): to the pipeline those writes take no time at
    all, however loaded the machine that runs the test."""

    def __init__(self) -> None:
        self.hidden = 0.0
        self.stopped_at: float | None = None

    def monotonic(self) -> float:
        now = time.monotonic()
        if self.stopped_at is not None:
            self.hidden += now - self.stopped_at
            self.stopped_at = None
        return now - self.hidden

    def stop(self) -> None:
        self.stopped_at = time.monotonic()


def test_writes_wait_for_more_results_again_once_they_are_fast(settings, mailoutbox, queue_emails, monkeypatch):
    """The early start follows the writes' pace both ways: slow writes start at half of
    RESULTS_FLUSH_SIZE, and once writes are quick again they wait for (nearly) all of it."""
    from post_office.dispatch import pipeline

    flush_size = 40
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 2, "BATCH_SIZE": flush_size,
                            "RESULTS_FLUSH_SIZE": flush_size,
                            "BACKENDS": {"default": f"{__name__}.PacedBackend"}}
    queue_emails(800)
    real_record, writes = pipeline.record, []
    # The quick writes are made instant on the pipeline's clock: how long a real write takes on
    # a loaded machine (40 rows on MariaDB beside another test worker) is not this test's subject.
    clock = ClockWithoutWrites()
    monkeypatch.setattr(pipeline, "time", SimpleNamespace(monotonic=clock.monotonic))

    def record_slowly_at_first(results, *args, **kwargs):
        if len(writes) < 6:
            time.sleep(0.08)  # a slow database: ~80 emails are sent meanwhile
            writes.append(len(results))
            return real_record(results, *args, **kwargs)
        clock.stop()
        writes.append(len(results))
        return real_record(results, *args, **kwargs)

    monkeypatch.setattr(pipeline, "record", record_slowly_at_first)
    monkeypatch.setattr(pipeline, "TICK_SECONDS", 30)  # as above: no partial write for a stall
    assert send_queued_until_done() == (800, 0, 0)

    slow, fast = writes[2:6], writes[8:-2]
    # Early: at the floor of 20 when the sends keep their pace (on a loaded machine they send
    # fewer emails per slow write, and the writes start a little later).
    assert slow and all(n < flush_size for n in slow) and sum(slow) / len(slow) <= 0.7 * flush_size, writes
    # Back to (nearly) all of it: an instant write leaves nothing to start early for.
    assert fast and sum(fast) / len(fast) >= 0.9 * flush_size, writes


def test_an_email_that_cannot_be_built_fails_alone_even_when_built_ahead_of_its_turn(
        settings, smtp_backend, queue_emails, tmp_path, monkeypatch):
    # One thread builds each next message while the server digests the last one: a build that
    # fails there is that email's failure, reported on its turn, and the batch goes on.
    settings.MEDIA_ROOT = str(tmp_path)
    settings.POST_OFFICE = {**settings.POST_OFFICE, "THREADS_PER_PROCESS": 1, "LOG_LEVEL": 2}
    ids = sorted(queue_emails(5))
    broken = ids[1::2]  # two of five: at least one is not the first sent, whatever the order
    for pk in broken:
        attachment = Attachment.objects.create(file=ContentFile(b"report", name="report.txt"), name="report.txt")
        attachment.emails.add(pk)
        attachment.file.storage.delete(attachment.file.name)  # its file is gone by the time it is sent

    from post_office.dispatch import pool

    built_ahead = []
    real_prepare = pool.prepare

    def spied_prepare(email, connections):
        built_ahead.append(email.pk)
        return real_prepare(email, connections)

    monkeypatch.setattr(pool, "prepare", spied_prepare)

    assert send_queued_until_done() == (3, 2, 0)

    # In id order: each broken email came after one that was sent, so it was built while the
    # server held that one; a broken email sends nothing, so the one after it was not.
    assert built_ahead == broken
    assert sorted(m.message["Message-ID"] for m in smtp_backend.messages) == sorted(
        Email.objects.filter(id__in=ids).exclude(id__in=broken).values_list("message_id", flat=True))
    for email in Email.objects.filter(id__in=broken):
        assert email.status == STATUS.failed
        assert "report.txt" in email.logs.get().message


def test_a_thread_abandoned_mid_send_gives_back_the_email_it_took_ahead(settings, smtp_backend, queue_emails):
    from post_office.dispatch.pool import DeliveryPool

    smtp_backend.handler.hold = held = threading.Event()  # the server holds the first message
    queue_emails(3)
    emails = claim_batch(new_lease_token(), 3)
    pool = DeliveryPool(1, threading.Event(), threading.Semaphore(10))
    pool.submit(emails, time.monotonic() + 60)
    # The thread is sending one email, and took the next ahead of its turn while the server holds it.
    wait_until(lambda: pool.backlog() <= 1, 10, interval=0.01)
    assert pool.backlog() == 1

    leftovers = pool.close(0.1)  # the thread is abandoned, still waiting for the server's reply

    assert len(leftovers) == 2 and not any(result.attempted for result in leftovers)
    given_back = {result.email.pk for result in leftovers}
    [in_flight] = [email for email in emails if email.pk not in given_back]
    held.set()  # the reply comes, the abandoned thread goes on: it must send nothing more
    [thread] = pool._threads
    thread.join(10)
    assert not thread.is_alive()
    assert [m.message["Message-ID"] for m in smtp_backend.messages] == [in_flight.message_id]
