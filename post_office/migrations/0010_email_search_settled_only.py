"""PostgreSQL only: the console's trigram search indexes (0006) now hold settled emails only,
``WHERE status IN (0, 1)`` (sent, failed).

An update that changes an indexed column (every status change does) writes a new entry into each
index whose condition the new row meets, and a row's four trigram entries are about a hundred
GIN keys. Unrestricted, those were written three times per email: at its insert, at its claim
(a fresh row's page rarely has room for an in-place update) and at its status change. Restricted,
they are written once, when the email settles; ``send_many`` and the claim write none.
Measured on this project's benchmark: ``COPY`` of 10,000 emails 25 µs -> 15 µs per email.

Queued emails are still found: ``post_office.search`` matches them through the status index
(the queue is small next to the history). The new indexes are built CONCURRENTLY before the old
ones are dropped, so an upgrade neither blocks sending nor leaves search without an index.
"""

from django.db import migrations

COLUMNS = ("to", "cc", "bcc", "subject")


def _trigram_installed(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return cursor.fetchone() is not None


def _create(cursor, name: str, column: str, condition: str) -> None:
    """Build the index, valid. A concurrent build that failed or was interrupted (a timeout, a
    Ctrl-C on a long upgrade) leaves an invalid index under its name, which IF NOT EXISTS would
    take for done: it is dropped and built again."""
    _drop_if_invalid(cursor, name)
    cursor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
        f'ON post_office_email USING gin (UPPER("{column}") gin_trgm_ops){condition}'
    )
    cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
    if cursor.fetchone() != (True,):  # never drop the index it replaces for one that serves nothing
        raise RuntimeError(f"index {name} could not be built; run migrate again")


def _drop_if_invalid(cursor, name: str) -> None:
    cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
    if cursor.fetchone() == (False,):
        cursor.execute(f"DROP INDEX CONCURRENTLY {name}")


def _replace(schema_editor, built: str, condition: str, dropped: str) -> None:
    """Build ``post_office_email_<column><built>`` for each column, then drop ``...<dropped>``."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _trigram_installed(cursor):  # 0006 could not create it: search runs unindexed
            return
        for column in COLUMNS:
            _create(cursor, f"post_office_email_{column}{built}", column, condition)
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS post_office_email_{column}{dropped}")


def settle_only(apps, schema_editor):
    _replace(schema_editor, "_settled_trgm", " WHERE status IN (0, 1)", "_trgm")


def every_email(apps, schema_editor):
    _replace(schema_editor, "_trgm", "", "_settled_trgm")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("post_office", "0009_email_claim_index"),
    ]

    operations = [migrations.RunPython(settle_only, every_email)]
