"""The console's recipient/subject search is served by trigram indexes on PostgreSQL that hold
settled emails only (migration 0010), so queuing and claiming emails writes none of them."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from post_office import mail, search
from post_office.models import SETTLED_STATUSES, STATUS, Email
from post_office.search import search_emails

pytestmark = pytest.mark.django_db

COLUMNS = ("to", "cc", "bcc", "subject")


def email_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'post_office_email'")
        return dict(cursor.fetchall())


def test_trigram_indexes_hold_settled_emails_only(on_postgres):
    indexes = email_indexes()
    for column in COLUMNS:
        definition = indexes[f"post_office_email_{column}_settled_trgm"]
        assert "gin_trgm_ops" in definition and "WHERE (status = ANY (ARRAY[0, 1]))" in definition, definition
        assert f"post_office_email_{column}_trgm" not in indexes  # 0006's, replaced


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def history():
    """20,000 emails, every tenth queued: enough that the planner prefers the trigram indexes."""
    Email.objects.bulk_create(
        Email(from_email="f@example.com", to=[f"user{i}@example.com"], subject=f"Order {i}",
              status=STATUS.sent if i % 10 else STATUS.queued)
        for i in range(20000)
    )
    with connection.cursor() as cursor:
        for column in COLUMNS:  # as autovacuum would: the planner prices a pending list high
            cursor.execute(f"SELECT gin_clean_pending_list('post_office_email_{column}_settled_trgm')")
        cursor.execute("ANALYZE post_office_email")
        cursor.execute("SET LOCAL enable_seqscan = off")


def found(term: str) -> list[str]:
    return sorted(to for [to] in search_emails(Email.objects.all(), term).values_list("to", flat=True))


def test_the_settled_half_of_a_search_uses_the_trigram_indexes(on_postgres, history):
    by_address = plan_of(Email.objects.filter(status__in=SETTLED_STATUSES, to__icontains="user11999@"))
    assert "post_office_email_to_settled_trgm" in by_address, by_address
    by_subject = plan_of(search_emails(Email.objects.all(), "Order 11999"))
    assert "post_office_email_subject_settled_trgm" in by_subject, by_subject
    assert found("user11999@") == ["user11999@example.com"]


def test_a_queued_email_is_found_by_its_id_next_to_the_indexed_settled_ones(on_postgres, history):
    # user12990 is queued (i % 10 == 0): not in the trigram indexes.
    plan = plan_of(search_emails(Email.objects.all(), "user12990@"))
    assert "post_office_email_to_settled_trgm" in plan and "post_office_email_pkey" in plan, plan
    assert found("USER12990@") == ["user12990@example.com"]


def test_many_unsettled_matches_are_searched_in_one_query(on_postgres, history, monkeypatch):
    monkeypatch.setattr(search, "UNSETTLED_MATCHES_LISTED", 5)
    with CaptureQueriesContext(connection) as captured:
        matches = found("user1299")  # user1299, user12990 .. user12999: one queued among them
    assert matches == sorted(["user1299@example.com", *(f"user1299{d}@example.com" for d in range(10))])
    listing, searching = (query["sql"] for query in captured)
    assert '"status" > 1' in listing and '"status" > 1' not in searching and '."id" IN (' in searching
    monkeypatch.setattr(search, "UNSETTLED_MATCHES_LISTED", 0)
    with CaptureQueriesContext(connection) as captured:
        assert found("user1299") == matches  # one unsettled match is over the limit
    assert '"status" > 1' in captured[-1]["sql"]  # the unsettled ones matched in the same query


def test_only_settling_an_email_writes_trigram_entries(on_postgres):
    def pending_entries() -> int:  # rows whose GIN entries wait in an index's pending list
        with connection.cursor() as cursor:
            cursor.execute("SELECT sum((pgstatginindex(indexrelid)).pending_tuples) FROM pg_index "
                           "WHERE indexrelid::regclass::text LIKE 'post_office_email_%_settled_trgm'")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")  # undone with the test's transaction
        cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")  # no flush of the list midway
        for column in COLUMNS:
            cursor.execute(f"SELECT gin_clean_pending_list('post_office_email_{column}_settled_trgm')")
    before = pending_entries()
    mail.send_many([{"sender": "f@example.com", "recipients": [f"someone{i}@example.com"],
                     "subject": f"Long subject line {i}"} for i in range(500)])
    Email.objects.update(lease_token="claimed")  # what a claim changes
    assert pending_entries() == before
    Email.objects.update(status=STATUS.sent)
    assert pending_entries() == before + 500 * len(COLUMNS)  # each row once, in each index


@pytest.mark.django_db(transaction=True)
def test_migration_0010_rebuilds_the_indexes_both_ways(on_postgres):
    def trigram_indexes() -> dict[str, bool]:  # name -> holds settled emails only
        return {name: "WHERE" in definition for name, definition in email_indexes().items() if "trgm" in name}

    settled = {f"post_office_email_{column}_settled_trgm": True for column in COLUMNS}
    assert trigram_indexes() == settled
    try:
        call_command("migrate", "post_office", "0009", verbosity=0)
        assert trigram_indexes() == {f"post_office_email_{column}_trgm": False for column in COLUMNS}
        with connection.cursor() as cursor:  # what an interrupted CREATE INDEX CONCURRENTLY leaves
            cursor.execute("CREATE INDEX post_office_email_to_settled_trgm ON post_office_email (id)")
            cursor.execute("UPDATE pg_index SET indisvalid = false "
                           "WHERE indexrelid = 'post_office_email_to_settled_trgm'::regclass")
    finally:
        call_command("migrate", "post_office", verbosity=0)
    assert trigram_indexes() == settled
    definition = email_indexes()["post_office_email_to_settled_trgm"]
    assert "gin_trgm_ops" in definition, definition  # built again, not taken for done
    with connection.cursor() as cursor:
        cursor.execute("SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = 'post_office_email'::regclass")
        assert cursor.fetchone() == (True,)
