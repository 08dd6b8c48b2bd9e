"""The results write's hand-built statements store what the ORM would, at any batch size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office.dispatch.writes import insert_logs, update_emails
from post_office.models import STATUS, Email, Log

pytestmark = pytest.mark.django_db(transaction=True)


def _emails(n: int) -> list[int]:
    Email.objects.bulk_create([
        Email(from_email="f@example.com", to=[f"u{i}@example.com"],
              status=STATUS.queued, lease_token="t", number_of_retries=1)
        for i in range(n)
    ])
    return sorted(Email.objects.values_list("id", flat=True))


def test_logs_are_stored_with_every_value_at_any_batch_size(sqlite_variable_limit_999):
    ids = _emails(450)
    now = timezone.now()
    rows = [(pk, STATUS.sent, "", "") if pk % 2 else (pk, STATUS.failed, "SMTPDataError", f"SMTP 550: no {pk} ☹")
            for pk in ids]

    with CaptureQueriesContext(connection) as queries:
        insert_logs(rows, now)

    # One statement whatever the row count (an array per column on PostgreSQL, the rows as one
    # JSON parameter on SQLite), even where 999 parameters would hold only 199 rows of 5.
    assert [q["sql"][:11] for q in queries.captured_queries] == ["INSERT INTO"]

    stored = sorted(Log.objects.values_list("email_id", "status", "exception_type", "message", "date"))
    assert stored == sorted((*row, now) for row in rows)


def test_emails_are_updated_by_id_at_any_batch_size(sqlite_variable_limit_999):
    ids = _emails(2500)
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


def test_large_ids_next_to_small_ones(on_postgres):
    """psycopg picks an array's type from its values: small and near-2**31 ids in one batch."""
    small = _emails(3)
    Email.objects.bulk_create([Email(id=2**31 - 2 - i, from_email="f@example.com", to=["x@example.com"],
                                     status=STATUS.queued) for i in range(2)])
    ids = sorted(Email.objects.values_list("id", flat=True))
    assert ids[-1] == 2**31 - 2 and set(small) < set(ids)

    update_emails(ids, status=STATUS.sent)
    insert_logs([(pk, STATUS.sent, "", "") for pk in ids], timezone.now())

    assert Email.objects.filter(status=STATUS.sent).count() == 5
    assert sorted(Log.objects.values_list("email_id", flat=True)) == ids
