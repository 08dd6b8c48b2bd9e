"""The results write's hand-built statements store what the ORM would, at any batch size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office.dispatch import writes
from post_office.dispatch.deliver import DeliveryResult
from post_office.dispatch.record import record
from post_office.dispatch.retry import RetryPolicy
from post_office.dispatch.writes import insert_logs, update_emails
from post_office.models import STATUS, Email, Log

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def claimed_emails(queue_emails):
    """``claimed_emails(n)``: the ids of n queued emails held by a claim, ascending."""
    return lambda n: sorted(queue_emails(n, lease_token="t", number_of_retries=1))


def test_logs_are_stored_with_every_value_at_any_batch_size(sqlite_variable_limit_999, claimed_emails):
    ids = claimed_emails(450)
    now = timezone.now()
    rows = [(pk, STATUS.sent, "", "") if pk % 2
            else (pk, STATUS.failed, "SMTPDataError", f"SMTP 550: no {pk} ☹ 📨 \"quoted\" \\ back\nslash")
            for pk in ids]

    with CaptureQueriesContext(connection) as queries:
        insert_logs(rows, now)

    # One statement whatever the row count (an array per column on PostgreSQL, the rows as one
    # JSON parameter on SQLite), even where 999 parameters would hold only 199 rows of 5. MySQL
    # (the ORM's statements): which emails still exist, then one INSERT.
    statements = [q["sql"][:11] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert statements == (["SELECT `pos", "INSERT INTO"] if connection.vendor == "mysql" else ["INSERT INTO"])

    stored = sorted(Log.objects.values_list("email_id", "status", "exception_type", "message", "date"))
    if connection.vendor == "mysql":  # the ORM's bulk_create: auto_now_add dates them as written
        assert all(now <= date <= timezone.now() for *_, date in stored)
        stored = [(*values, now) for *values, date in stored]
    assert stored == sorted((*row, now) for row in rows)


def test_emails_are_updated_by_id_at_any_batch_size(sqlite_variable_limit_999, claimed_emails):
    ids = claimed_emails(2500)
    chosen = ids[::2]
    now = timezone.now()

    with CaptureQueriesContext(connection) as queries:
        update_emails(chosen, status=STATUS.requeued, number_of_retries=3, scheduled_time=now,
                      lease_token="", lease_expires_at=None, last_updated=now)

    changed = Email.objects.filter(status=STATUS.requeued, number_of_retries=3, scheduled_time=now,
                                   lease_token="", lease_expires_at=None, last_updated=now)
    assert sorted(changed.values_list("id", flat=True)) == chosen
    assert Email.objects.filter(status=STATUS.queued, lease_token="t").count() == len(ids) - len(chosen)
    # One statement for 1,250 ids, also under a 999-parameter limit.
    assert [q["sql"][:6] for q in queries.captured_queries] == ["UPDATE"]


def test_large_ids_next_to_small_ones(on_postgres, claimed_emails):
    """psycopg picks an array's type from its values: small and near-2**31 ids in one batch."""
    small = claimed_emails(3)
    Email.objects.bulk_create([Email(id=2**31 - 2 - i, from_email="f@example.com", to=["x@example.com"],
                                     status=STATUS.queued) for i in range(2)])
    ids = sorted(Email.objects.values_list("id", flat=True))
    assert ids[-1] == 2**31 - 2 and set(small) < set(ids)

    update_emails(ids, status=STATUS.sent)
    insert_logs([(pk, STATUS.sent, "", "") for pk in ids], timezone.now())

    assert Email.objects.filter(status=STATUS.sent).count() == 5
    assert sorted(Log.objects.values_list("email_id", flat=True)) == ids


def test_other_databases_get_the_orms_statements(monkeypatch, claimed_emails):
    """Outside PostgreSQL and SQLite the same rows are written through the ORM (run here with the
    hand-built path switched off); Log.date's auto_now_add then dates them as they are written."""
    monkeypatch.setattr(writes, "_HAND_BUILT", ())
    ids = claimed_emails(30)
    before = timezone.now()

    update_emails(ids[:10], status=STATUS.sent, lease_token="", last_updated=before)
    insert_logs([(pk, STATUS.sent, "", "") for pk in ids[:10]], before)

    assert sorted(Email.objects.filter(status=STATUS.sent, lease_token="").values_list("id", flat=True)) == ids[:10]
    assert sorted(Log.objects.values_list("email_id", flat=True)) == ids[:10]
    assert all(date >= before for date in Log.objects.values_list("date", flat=True))


def test_a_failure_text_no_database_can_store_is_recorded_escaped(claimed_emails):
    """A NUL (PostgreSQL refuses it, SQLite's JSON functions stop at it) or a lone surrogate in a
    server's reply must not make the results write fail: the outcome is recorded, escaped."""
    [pk] = claimed_emails(1)
    email = Email.objects.get(pk=pk)

    record([DeliveryResult(email, RuntimeError("bad\x00reply \udce9 é"))], 1, RetryPolicy(max_retries=0))

    assert Email.objects.get(pk=pk).status == STATUS.failed
    assert Log.objects.get(email_id=pk).message == "bad\\x00reply \\udce9 é"


@pytest.mark.parametrize("hand_built", [True, False])
def test_an_email_deleted_while_it_was_sent_does_not_fail_the_results_write(monkeypatch, hand_built, claimed_emails):
    """cleanup_mail on an old backlog, or an operator, may delete an email a dispatcher is sending:
    the others' outcome is still recorded (else all of them would be sent again)."""
    if not hand_built:
        monkeypatch.setattr(writes, "_HAND_BUILT", ())
    ids = claimed_emails(5)
    emails = list(Email.objects.filter(pk__in=ids))
    Email.objects.filter(pk=ids[2]).delete()

    tally = record([DeliveryResult(email) for email in emails], 2, RetryPolicy())

    assert tally.sent == 5  # what was sent, deleted or not
    assert sorted(Log.objects.values_list("email_id", flat=True)) == [pk for pk in ids if pk != ids[2]]
    assert Email.objects.filter(status=STATUS.sent).count() == 4
