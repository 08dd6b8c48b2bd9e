"""The console's recipient/subject search is served by trigram indexes on PostgreSQL."""

import pytest
from django.db import connection

from post_office.models import Email

pytestmark = pytest.mark.django_db


def test_trigram_indexes_exist_on_postgres(on_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'post_office_email'")
        names = {row[0] for row in cursor.fetchall()}
    assert {f"post_office_email_{c}_trgm" for c in ("to", "cc", "bcc", "subject")} <= names


def test_recipient_search_uses_the_trigram_index(on_postgres):
    Email.objects.bulk_create(
        Email(from_email="f@example.com", to=[f"user{i}@example.com"], subject=f"Order {i}", status=0)
        for i in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE post_office_email")
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Email.objects.filter(to__icontains="user1999@").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "post_office_email_to_trgm" in plan, plan
