"""PostgreSQL only: trigram indexes so the console's recipient and subject search stays fast on
millions of emails (Django's ``icontains`` is ``UPPER(col) LIKE '%...%'``, which a btree cannot
serve). Built CONCURRENTLY so upgrading a busy database doesn't block sending. Where pg_trgm
cannot be created (no privilege), the search still works, just without these indexes.
"""

from django.db import migrations

COLUMNS = ("to", "cc", "bcc", "subject")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # noqa: BLE001 - no privilege: keep the upgrade going, skip the indexes
            return
        for column in COLUMNS:
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS post_office_email_{column}_trgm "
                f'ON post_office_email USING gin (UPPER("{column}") gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS post_office_email_{column}_trgm")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("post_office", "0005_delivery_stats"),
    ]

    operations = [migrations.RunPython(create, drop)]
