"""The dispatcher's writes and another transaction holding the same rows: nobody waits in a
cycle, and a write the database aborts to end one is written again."""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import connection, connections

from post_office.dispatch.claim import claim_batch, new_lease_token, renew
from post_office.dispatch.deliver import DeliveryResult
from post_office.dispatch.record import record
from post_office.dispatch.retry import RetryPolicy
from post_office.models import STATUS, Email
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(work) -> tuple[threading.Thread, dict]:
    """Run ``work()`` on a thread of its own (its own database connection); returns the thread
    and a dict that gets ``result`` or ``error``."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def holding(pk: int):
    """Another connection, in a transaction that has locked email ``pk`` (as an operator's bulk
    action, or another write, does)."""
    other = connections.create_connection("default")
    other.set_autocommit(False)
    lock_row(other, pk)
    return other


def lock_row(other, pk: int) -> None:
    with other.cursor() as cursor:
        cursor.execute("UPDATE post_office_email SET priority = priority WHERE id = %s", [pk])


def renewal_passes_over_rows_a_write_holds(queue_emails) -> None:
    queue_emails(3)
    token = new_lease_token()
    emails = sorted(claim_batch(token, 3), key=lambda email: email.pk)
    other = holding(emails[0].pk)
    try:
        renewal, outcome = in_thread(lambda: renew(token))
        renewal.join(10)
        assert not renewal.is_alive(), "the renewal waited for the row another transaction holds"
        assert outcome == {"result": 2}
    finally:
        other.rollback()
        other.close()
    leases = dict(Email.objects.filter(lease_token=token).values_list("pk", "lease_expires_at"))
    assert leases[emails[1].pk] > emails[1].lease_expires_at
    assert leases[emails[2].pk] > emails[2].lease_expires_at
    assert leases[emails[0].pk] == emails[0].lease_expires_at  # left alone, not waited for


def test_renewal_passes_over_rows_a_write_holds_on_postgresql(on_postgres, queue_emails):
    renewal_passes_over_rows_a_write_holds(queue_emails)


def test_renewal_passes_over_rows_a_write_holds_on_mariadb(on_mariadb, queue_emails):
    renewal_passes_over_rows_a_write_holds(queue_emails)


def blocked_by(pid: int) -> bool:
    """Whether some session waits for a lock that backend ``pid`` holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid])
        return cursor.fetchone()[0] > 0


def test_a_results_write_that_loses_a_deadlock_is_written_again(on_postgres, queue_emails, caplog):
    queue_emails(2)
    first, second = sorted(claim_batch(new_lease_token(), 2), key=lambda email: email.pk)
    other = holding(second.pk)
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        other_pid = cursor.fetchone()[0]
        # PostgreSQL aborts the session whose deadlock_timeout runs out first: make it the write's.
        cursor.execute("SET deadlock_timeout = '20s'")
    try:
        caplog.set_level(logging.WARNING, logger="post_office")
        # The write locks the first email (ids in order), then waits for the second...
        write, outcome = in_thread(lambda: record([DeliveryResult(first), DeliveryResult(second)], 2,
                                                  RetryPolicy.from_settings()))
        wait_until(lambda: blocked_by(other_pid), 10, interval=0.02)
        # ...which the other transaction holds, and now it wants the first: a deadlock, which
        # PostgreSQL ends by aborting the write (its deadlock_timeout is the shorter).
        lock_row(other, first.pk)
        other.commit()
    finally:
        other.close()
    write.join(30)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].sent == 2
    assert "conflicted with another transaction" in caplog.text
    assert set(Email.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "lease_token")) == {
        (STATUS.sent, "")}
    assert Email.objects.get(pk=first.pk).logs.count() == 1  # written once: the aborted try left nothing
