"""Upgrading a database migrated by django-post_office 3.12 keeps every row.

The dumps in ``tests/data/upstream_3_12/`` come from the published 3.12 package (see its README).
Each test loads one into a fresh database, runs our ``migrate`` in a subprocess as a deployment
would, reads every row back through our models, and delivers the old queue to the SMTP sink.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.support.services import require

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "upstream_3_12"
EXPECTED = json.loads((DATA / "expected.json").read_text())
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "charset": "utf8mb4"}

SETTINGS = textwrap.dedent("""
    import json, os
    SECRET_KEY = "upgrade-test"
    USE_TZ = True
    TIME_ZONE = "UTC"
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "post_office"]
    DATABASES = {"default": json.loads(os.environ["UPGRADE_DB"])}
    if DATABASES["default"]["ENGINE"].endswith("mysql"):
        import pymysql  # the test suite's MySQL driver (see tests/settings.py)

        pymysql.install_as_MySQLdb()
    MEDIA_ROOT = os.environ["UPGRADE_MEDIA"]
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["UPGRADE_SMTP_PORT"])
    EMAIL_TIMEOUT = 10
    DEFAULT_FROM_EMAIL = "from@example.com"
    LANGUAGES = [("en", "English"), ("id", "Indonesian")]
    TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
                   "THREADS_PER_PROCESS": 1}
""")

# The deployment, in one process (Django starts once): record the state, migrate, read every row
# back through our models, deliver the old queue, queue something new.
UPGRADE = textwrap.dedent("""
    import io, json
    import django
    from django.core.management import call_command
    django.setup()

    def command(*args):
        out = io.StringIO()
        try:
            call_command(*args, stdout=out, stderr=out)
        except SystemExit as exc:  # the --check options exit non-zero
            return {"exit": exc.code, "output": out.getvalue()}
        return {"exit": 0, "output": out.getvalue()}

    def ts(value):
        return value.isoformat() if value else None

    def rows():
        from post_office.models import Attachment, Email, EmailTemplate, Log

        out = {"emails": [], "templates": [], "logs": [], "attachments": []}
        for e in Email.objects.select_related("template").prefetch_related("attachments").order_by("id"):
            out["emails"].append({
                "id": e.id, "status": e.status, "priority": e.priority, "from_email": e.from_email,
                "to": e.to, "cc": e.cc, "bcc": e.bcc, "subject": e.subject, "message": e.message,
                "html_message": e.html_message, "message_id": e.message_id,
                "number_of_retries": e.number_of_retries, "backend_alias": e.backend_alias,
                "headers": e.headers, "context": e.context,
                "template": e.template.name if e.template else None, "template_id": e.template_id,
                "template_language": e.template.language if e.template else None,
                "recipient_delivery_status": e.recipient_delivery_status,
                "scheduled_time": ts(e.scheduled_time), "expires_at": ts(e.expires_at),
                "created": ts(e.created), "last_updated": ts(e.last_updated),
                "attachment_ids": sorted(a.id for a in e.attachments.all()),
                "lease_token": e.lease_token, "lease_expires_at": ts(e.lease_expires_at),
            })
        for t in EmailTemplate.objects.order_by("id"):
            out["templates"].append({
                "id": t.id, "name": t.name, "language": t.language, "default_template_id": t.default_template_id,
                "subject": t.subject, "content": t.content, "html_content": t.html_content,
                "description": t.description, "created": ts(t.created), "last_updated": ts(t.last_updated),
            })
        for log in Log.objects.order_by("id"):
            out["logs"].append({"id": log.id, "email_id": log.email_id, "status": log.status,
                                "exception_type": log.exception_type, "message": log.message,
                                "date": ts(log.date)})
        for a in Attachment.objects.prefetch_related("emails").order_by("id"):
            out["attachments"].append({"id": a.id, "file": a.file.name, "name": a.name, "mimetype": a.mimetype,
                                       "headers": a.headers, "email_ids": sorted(e.id for e in a.emails.all())})
        return out

    report = {"before": command("showmigrations", "post_office")}
    report["migrate"] = command("migrate", "--noinput")
    report["after"] = command("showmigrations", "post_office")
    report["rows"] = rows()
    report["migrate_check"] = command("migrate", "--check")
    report["makemigrations_check"] = command("makemigrations", "post_office", "--check", "--dry-run")
    report["send"] = command("send_queued_mail", "--verbosity=0")
    report["rows_after_send"] = rows()
    from post_office import mail
    new = mail.send("new@example.com", subject="new", message="m", priority="now")
    report["new"] = {"id": new.id, "status": new.status}
    print(json.dumps(report))
""")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(dbname="postgres", connect_timeout=3, **PG):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return False


@pytest.fixture
def sqlite_db(tmp_path) -> dict:
    path = tmp_path / "upstream.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript((DATA / "sqlite.sql").read_text())
    connection.close()
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


@pytest.fixture
def postgres_db():
    require(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
    import psycopg

    name = f"po_upgrade_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(dbname=name, autocommit=True, **PG) as connection:
            connection.execute((DATA / "postgres.sql").read_text())
        yield {"ENGINE": "django.db.backends.postgresql", "NAME": name, "HOST": PG["host"],
               "PORT": str(PG["port"]), "USER": PG["user"]}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **PG) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mariadb_available() -> bool:
    try:
        import pymysql

        pymysql.connect(connect_timeout=3, **MARIADB).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return False


@pytest.fixture
def mariadb_db():
    require(mariadb_available(), "MariaDB at 127.0.0.1:3306")
    import pymysql
    from pymysql.constants import CLIENT

    name = f"po_upgrade_{uuid.uuid4().hex[:12]}"
    with pymysql.connect(autocommit=True, **MARIADB) as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        with pymysql.connect(database=name, autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS,
                             **MARIADB) as loader, loader.cursor() as cursor:
            cursor.execute((DATA / "mariadb.sql").read_text())
            while cursor.nextset():  # every statement of the dump runs, and its errors surface
                pass
        yield {"ENGINE": "django.db.backends.mysql", "NAME": name, "HOST": MARIADB["host"],
               "PORT": str(MARIADB["port"]), "USER": MARIADB["user"], "OPTIONS": {"charset": "utf8mb4"}}
    finally:
        with pymysql.connect(autocommit=True, **MARIADB) as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def upstream_db(request):
    return request.getfixturevalue(f"{request.param}_db")


def upgrade(tmp_path: Path, db: dict, smtp_port: int) -> dict:
    """Run the deployment script against ``db`` in a subprocess (a fresh interpreter, as in production)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "upgrade_settings.py").write_text(SETTINGS)
    (project / "upgrade.py").write_text(UPGRADE)
    media = tmp_path / "media"
    # The old media directory comes along with the database.
    for attachment in EXPECTED["attachments"]:
        path = media / attachment["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"old file {attachment['name']}".encode())
    env = {
        **os.environ, "PYTHONPATH": f"{project}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "upgrade_settings", "UPGRADE_DB": json.dumps(db),
        "UPGRADE_MEDIA": str(media), "UPGRADE_SMTP_PORT": str(smtp_port),
    }
    done = subprocess.run([sys.executable, "upgrade.py"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_rows_survived(rows: dict) -> None:
    for table in ("emails", "templates", "logs", "attachments"):
        actual = {row["id"]: row for row in rows[table]}
        for expected in EXPECTED[table]:
            assert expected["id"] in actual, f"{table} row {expected['id']} is gone"
            got = {key: actual[expected["id"]].get(key) for key in expected}
            assert got == expected, f"{table} row {expected['id']} changed"
    assert len(rows["emails"]) == EXPECTED["counts"]["post_office_email"]
    assert len(rows["templates"]) == EXPECTED["counts"]["post_office_emailtemplate"]
    assert len(rows["logs"]) == EXPECTED["counts"]["post_office_log"]
    assert len(rows["attachments"]) == EXPECTED["counts"]["post_office_attachment"]
    assert sum(len(a["email_ids"]) for a in rows["attachments"]) == EXPECTED["counts"]["post_office_attachment_emails"]


def test_upstream_database_upgrades_keeping_every_row_and_delivers_its_queue(tmp_path, upstream_db, smtp_sink):
    report = upgrade(tmp_path, upstream_db, smtp_sink.port)

    # 3.12's fourteen migrations are recognised as our first; migrate only records that.
    assert "[-] 0001_squashed_0014_alter_email_recipient_delivery_status_and_more" in report["before"]["output"]
    assert report["migrate"]["exit"] == 0
    status = report["after"]["output"].splitlines()[1:]
    assert status and all(line.strip().startswith("[X]") for line in status), status
    assert report["migrate_check"]["exit"] == 0  # nothing left to apply
    assert report["makemigrations_check"]["exit"] == 0, report["makemigrations_check"]["output"]

    rows = report["rows"]
    assert_rows_survived(rows)
    # Our columns exist and start empty for the old rows.
    assert {(e["lease_token"], e["lease_expires_at"]) for e in rows["emails"]} == {("", None)}

    by_subject = {m.message["Subject"]: m for m in smtp_sink.messages}
    # 4 (requeued), 5, 6 and 11 are due; 3 is scheduled for 2099; 12 has no status (never queued).
    assert sorted(by_subject) == ["High priority queued", "Requeued email", "Welcome Alice", "With headers", "new"]
    with_headers = by_subject["With headers"]
    assert sorted(with_headers.rcpt_tos) == sorted(
        ["erin@example.com", "frank@example.com", "cc1@example.com", "cc2@example.com", "bcc@example.com"])
    assert with_headers.message["Reply-To"] == "reply@example.com"
    assert with_headers.message["Cc"] == "cc1@example.com, cc2@example.com"
    [readme] = [p for p in with_headers.message.walk() if p.get_filename() == "readme.txt"]
    assert readme.get_content() == "old file readme.txt"
    welcome = by_subject["Welcome Alice"]  # stored template + context: rendered on delivery
    assert "Hi Alice, welcome aboard!" in welcome.data.decode()
    assert by_subject["High priority queued"].rcpt_tos == ["mallory@example.com", "audit@example.com"]

    after = {e["id"]: e for e in report["rows_after_send"]["emails"]}
    assert {i: after[i]["status"] for i in (3, 4, 5, 6, 11, 12)} == {3: 2, 4: 0, 5: 0, 6: 0, 11: 0, 12: None}
    # New rows get fresh ids after the imported ones (sequences survived the dump).
    assert report["new"] == {"id": 13, "status": 0}
