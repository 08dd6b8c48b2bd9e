"""Server time of the email console at scale, on PostgreSQL.

Loads N emails (default 1,000,000) and 2N logs into a scratch database with set-based
``INSERT ... SELECT generate_series`` (a minute or so for a million, no Python loop), then runs
the console's pages through Django's test client (the whole stack: middleware, admin, unfold,
templates; no network) and prints the median / max server time of each, with its query count.
Results go to ``bench/results/console.json``.

    .venv/bin/python bench/console_bench.py                  # 1,000,000 emails, 2,000,000 logs
    .venv/bin/python bench/console_bench.py --emails 200000  # quicker
    .venv/bin/python bench/console_bench.py --reuse          # measure again without reloading

Needs PostgreSQL at 127.0.0.1:5432 (user postgres). The scratch database is dropped at the end
unless ``--keep`` (``--reuse`` implies it was kept).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_MS = 300
urlpatterns: list = []  # filled in once Django is set up (this module is the URLconf)


def configure(db_name: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench-only-not-secret", DEBUG=False, USE_TZ=True, TIME_ZONE="UTC",
        ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "unfold", "unfold.contrib.filters", "django.contrib.admin", "django.contrib.auth",
            "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages",
            "django.contrib.staticfiles", "django_htmx", "post_office",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django_htmx.middleware.HtmxMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
                               "PORT": "5432", "USER": "postgres", "NAME": db_name}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                    "OPTIONS": {"context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages"]}}],
        STATIC_URL="/static/", LANGUAGES=[("en", "English"), ("de", "German")],
        POST_OFFICE={"BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend",
                                  "bulk": "django.core.mail.backends.locmem.EmailBackend"}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()
    from django.contrib import admin
    from django.urls import path

    urlpatterns.append(path("admin/", admin.site.urls))


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


LOAD_SQL = [
    # Five templates, one with a German translation.
    """INSERT INTO post_office_emailtemplate (name, description, created, last_updated, subject, content,
                                              html_content, language, default_template_id)
       SELECT 'template_' || t, '', now(), now(), 'Subject {{ n }}', 'Hello {{ n }}', '<p>Hello {{ n }}</p>', '',
              NULL FROM generate_series(1, 5) AS t""",
    """INSERT INTO post_office_emailtemplate (name, description, created, last_updated, subject, content,
                                              html_content, language, default_template_id)
       SELECT name, '', now(), now(), 'Betreff', 'Hallo', '<p>Hallo</p>', 'de', id
       FROM post_office_emailtemplate WHERE name = 'template_1'""",
    # Emails: 90% sent, 5% failed, 3% queued, 2% requeued; a tenth on the 'bulk' backend; a quarter
    # from templates; one per second of creation time, newest last.
    """INSERT INTO post_office_email (from_email, "to", cc, bcc, subject, message, html_message, status,
                                      priority, created, last_updated, scheduled_time, message_id,
                                      number_of_retries, headers, template_id, context, backend_alias,
                                      lease_token, recipient_delivery_status)
       SELECT 'shop@example.com', 'user' || i || '@example.com', '', '',
              'Order ' || i || ' confirmation', 'Thanks for order ' || i,
              '<table><tr><td><h1>Order ' || i || '</h1><p>Thanks!</p></td></tr></table>',
              CASE WHEN i % 100 < 90 THEN 0 WHEN i % 100 < 95 THEN 1 WHEN i % 100 < 98 THEN 2 ELSE 3 END,
              i % 3, now() - ((%(n)s - i) || ' seconds')::interval, now() - ((%(n)s - i) || ' seconds')::interval,
              CASE WHEN i % 100 >= 95 THEN now() + interval '1 hour' END,
              '<' || i || '@bench.example.com>', CASE WHEN i % 100 BETWEEN 90 AND 94 THEN 3 ELSE 0 END,
              NULL, CASE WHEN i % 4 = 0 THEN (SELECT min(id) FROM post_office_emailtemplate) + i % 5 END, NULL,
              CASE WHEN i % 10 = 0 THEN 'bulk' ELSE '' END, '', NULL
       FROM generate_series(1, %(n)s) AS i""",
    # Logs: --logs / --emails per email, failures for the failed and requeued ones.
    """INSERT INTO post_office_log (email_id, date, status, exception_type, message)
       SELECT e.id, e.created + (j || ' minutes')::interval,
              CASE WHEN e.status IN (1, 3) THEN 1 ELSE 0 END,
              CASE WHEN e.status IN (1, 3) THEN 'SMTPServerDisconnected' ELSE '' END,
              CASE WHEN e.status IN (1, 3) THEN 'Connection unexpectedly closed' ELSE '' END
       FROM post_office_email e CROSS JOIN generate_series(1, %(per_email)s) AS j""",
]


def load(emails: int, logs: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in LOAD_SQL:
            cursor.execute(sql.replace("%(n)s", str(emails)).replace("%(per_email)s", str(max(logs // emails, 0))))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE post_office_email")
        cursor.execute("VACUUM ANALYZE post_office_log")
    return time.perf_counter() - started


def scenarios(sample_id: int, failed_id: int, queued_id: int) -> dict[str, str]:
    from django.utils import timezone

    base = "/admin/post_office/email/"
    today = timezone.localdate().isoformat()
    return {
        "email list": base,
        "email list, page 100": f"{base}?p=100",
        "filtered: status failed": f"{base}?status=1",
        "filtered: failed + bulk backend + priority": f"{base}?status=1&backend=bulk&priority=0",
        "filtered: template + language": f"{base}?language=de",
        "filtered: created today (date range)": f"{base}?created_from={today}&created_to={today}",
        "filtered: scheduled for later": f"{base}?schedule=scheduled",
        "filtered: has failed attempt": f"{base}?failed_log=yes",
        "search: recipient address": f"{base}?q=user{sample_id}@example.com",
        "search: Message-ID": f"{base}?q=%3C{sample_id}@bench.example.com%3E",
        "search: subject words": f"{base}?q=Order+{sample_id}+confirmation",
        "search: recipient of a queued email": f"{base}?q=user{queued_id}@example.com",
        "search: a domain (many matches)": f"{base}?q=@example.com",
        "detail": f"{base}{sample_id}/change/",
        "detail (failed, with logs)": f"{base}{failed_id}/change/",
        "preview document": f"{base}{sample_id}/preview/",
        "live status fragment": f"{base}{failed_id}/live/",
        "log list": "/admin/post_office/log/",
    }


def bench_client():
    """A test client logged in as the bench superuser (created once)."""
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.filter(username="bench").first() or User.objects.create_superuser("bench", "", "pw")
    client = Client()
    client.force_login(user)
    return client


def time_pages(pages: dict[str, str], runs: int, budget_ms: float, **headers) -> list[dict]:
    """Median and max server time of each page through the whole Django stack, after one warm-up
    request (templates, plans), with its query count; prints one line per page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = bench_client()
    width = max(map(len, pages)) + 2
    results = []
    for name, url in pages.items():
        client.get(url, **headers)
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, **headers)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        row = {"page": name, "url": url, "median_ms": round(statistics.median(timings), 1),
               "max_ms": round(max(timings), 1), "queries": len(queries)}
        row["within_budget"] = row["median_ms"] < budget_ms
        results.append(row)
        print(f"{name:{width}} {row['median_ms']:8.1f} ms median {row['max_ms']:8.1f} ms max "
              f"{row['queries']:3d} queries {'ok' if row['within_budget'] else 'OVER BUDGET'}", flush=True)
    return results


def measure(runs: int) -> list[dict]:
    from post_office.models import Email

    upper = Email.objects.order_by("-id").values_list("id", flat=True).first()
    sample_id = upper - upper // 3
    failed_id = Email.objects.filter(status=1, id__lte=sample_id).order_by("-id").values_list("id", flat=True).first()
    queued_id = Email.objects.filter(status=2, id__lte=sample_id).order_by("-id").values_list("id", flat=True).first()
    return time_pages(scenarios(sample_id, failed_id, queued_id), runs, BUDGET_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1_000_000)
    parser.add_argument("--logs", type=int, default=None, help="default: twice --emails")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db-name", default="post_office_console_bench")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="measure an existing --keep database")
    parser.add_argument("--out", default="console.json", help="file name under bench/results/")
    args = parser.parse_args()
    logs = args.logs if args.logs is not None else 2 * args.emails

    if not args.reuse:
        create_database(args.db_name)
    configure(args.db_name)
    from django.core.management import call_command
    from django.db import connection

    load_seconds = None
    if not args.reuse:
        call_command("migrate", verbosity=0)
        print(f"loading {args.emails:,} emails and {logs:,} logs ...", flush=True)
        load_seconds = round(load(args.emails, logs), 1)
        print(f"loaded in {load_seconds} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'post_office_email' ORDER BY 1")
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM post_office_email")
        emails = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM post_office_log")
        log_rows = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    results = measure(args.runs)
    report = {
        "benchmark": "console server time (Django test client, whole stack)",
        "database": f"PostgreSQL {server}", "emails": emails, "logs": log_rows,
        "load_seconds": load_seconds, "runs_per_page": args.runs, "budget_ms": BUDGET_MS,
        "cpu_count": os.cpu_count(), "load_average": os.getloadavg(), "email_indexes": indexes,
        "pages": results,
    }
    out = ROOT / "bench" / "results" / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")
    if not args.keep and not args.reuse:
        drop_database(args.db_name)


if __name__ == "__main__":
    main()
