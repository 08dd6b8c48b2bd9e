"""Dashboard server time at scale, and the dispatcher's throughput with the rollup on vs off.

Loads N emails (default 1,000,000) and 2N logs into a scratch PostgreSQL database with the
console benchmark's set-based SQL (``bench/console_bench.py``), plus 30 days of per-minute rollup
rows for two backends; then times the admin index (the dashboard), each htmx partial, the
per-backend page and the metrics view through Django's test client (whole stack, no network).

Throughput: queues ``--dispatch`` emails at a time and delivers them in-process with Django's
dummy backend (no network: the rollup's share of the work is as large as it can be), alternating
``STATS_ENABLED`` on and off for ``--rounds`` rounds; compares the medians.

    .venv/bin/python bench/dashboard_bench.py                    # 1,000,000 emails
    BENCH_EMAILS=200000 .venv/bin/python bench/dashboard_bench.py  # quicker (or --emails)

Writes bench/results/dashboard.json. The scratch database is dropped unless ``--keep``.
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

from bench import console_bench  # noqa: E402 - same settings shape and loader as the console bench

BUDGET_MS = 150
ROLLUP_SQL = """
    INSERT INTO post_office_deliverystat (bucket, backend_alias, sent, failed, retried, requeued, latency_ms,
                                          last_sent_at, last_failed_at, last_error)
    SELECT date_trunc('minute', now()) - (m || ' minutes')::interval, alias,
           40 + (m % 17), (m % 5 = 0)::int, (m % 7 = 0)::int, 0, (40 + (m % 17)) * 350,
           date_trunc('minute', now()) - (m || ' minutes')::interval,
           CASE WHEN m % 5 = 0 THEN date_trunc('minute', now()) - (m || ' minutes')::interval END,
           CASE WHEN m % 5 = 0 THEN 'SMTPServerDisconnected: Connection unexpectedly closed' ELSE '' END
    FROM generate_series(0, 30 * 1440 - 1) AS m CROSS JOIN (VALUES ('default'), ('bulk')) AS a(alias)
"""
QUEUE_SQL = """
    INSERT INTO post_office_email (from_email, "to", cc, bcc, subject, message, html_message, status, priority,
                                   created, last_updated, number_of_retries, backend_alias, lease_token)
    SELECT 'shop@example.com', 'tp' || i || '@example.com', '', '', 'Throughput ' || i, 'Hello', '', 2, 2,
           now(), now(), 0, CASE WHEN i %% 2 = 0 THEN 'bulk' ELSE '' END, ''
    FROM generate_series(1, %s) AS i
"""


def pages() -> dict[str, str]:
    part = "/admin/post_office/deliverystat/dashboard/"
    return {
        "dashboard (admin index)": "/admin/",
        "partial: counters": f"{part}counters/",
        "partial: charts": f"{part}charts/",  # per-day series cached 60 s: most polls hit the cache
        "partial: failures": f"{part}failures/",
        "partial: log tail": f"{part}tail/",
        "partial: backends": f"{part}backends/",
        "per-backend page": "/admin/post_office/deliverystat/",
        "metrics": "/metrics",
    }


def measure(runs: int) -> list[dict]:
    return console_bench.time_pages(pages(), runs, BUDGET_MS, HTTP_HX_REQUEST="true")


def throughput(per_round: int, rounds: int) -> dict:
    from django.db import connection
    from django.test import override_settings

    from post_office.dispatch.engine import send_queued_until_done
    from post_office.models import DeliveryStat

    dummy = "django.core.mail.backends.dummy.EmailBackend"
    rates: dict[str, list[float]] = {"on": [], "off": []}
    for n in range(-1, rounds):  # round -1 warms up (connections, caches) and is not counted
        for mode in (("on", "off") if n % 2 == 0 else ("off", "on")):  # alternate: drift hits both
            with connection.cursor() as cursor:
                cursor.execute(QUEUE_SQL, [per_round])
            before = DeliveryStat.objects.count()
            config = {"BACKENDS": {"default": dummy, "bulk": dummy}, "STATS_ENABLED": mode == "on",
                      "BATCH_SIZE": 100, "THREADS_PER_PROCESS": 2, "LOG_LEVEL": 2}
            with override_settings(POST_OFFICE=config):
                started = time.perf_counter()
                sent, failed, _ = send_queued_until_done()
                elapsed = time.perf_counter() - started
            assert (sent, failed) == (per_round, 0), (sent, failed)
            if mode == "off":  # nothing written with the rollup off
                assert DeliveryStat.objects.count() == before
            if n < 0:
                continue
            rates[mode].append(per_round / elapsed)
            print(f"round {n + 1} rollup {mode:3}: {per_round / elapsed:8.0f} emails/s", flush=True)
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    upsert_ms = rollup_write_ms()
    batch_ms = 100 / off * 1000  # BATCH_SIZE 100, one flush (and one rollup write) per batch
    print(f"rollup write: {upsert_ms:.2f} ms per flush, {100 * upsert_ms / batch_ms:.2f} % of a "
          f"{batch_ms:.0f} ms batch", flush=True)
    return {"emails_per_round": per_round, "rounds": rounds, "backend": dummy,
            "rollup_write_ms_per_flush": round(upsert_ms, 3),
            "rollup_share_of_batch_percent": round(100 * upsert_ms / batch_ms, 2),
            "median_emails_per_s_on": round(on, 1), "median_emails_per_s_off": round(off, 1),
            "on_vs_off": round(on / off, 4), "within_5_percent": on >= 0.95 * off,
            "all_rates": {k: [round(v, 1) for v in vs] for k, vs in rates.items()}}


def rollup_write_ms(samples: int = 300) -> float:
    """Median time of the rollup write a flush adds (two backends, one statement): measured
    directly, so it is not lost in the run-to-run noise of a loaded machine."""
    from django.db import transaction
    from django.utils import timezone

    from post_office.stats.rollup import BackendCounts, add_to_rollup

    timings = []
    with transaction.atomic():  # as in record(): the write joins the batch's transaction and commit
        for _ in range(samples):
            counts = {"default": BackendCounts(sent=49, failed=1, last_error="x"), "bulk": BackendCounts(sent=50)}
            started = time.perf_counter()
            add_to_rollup(counts, timezone.now())
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=int(os.environ.get("BENCH_EMAILS", 1_000_000)))
    parser.add_argument("--logs", type=int, default=None, help="default: twice --emails")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dispatch", type=int, default=3000, help="emails per throughput round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--db-name", default="post_office_dashboard_bench")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    logs = args.logs if args.logs is not None else 2 * args.emails

    console_bench.create_database(args.db_name)
    console_bench.configure(args.db_name)
    from django.urls import path

    from post_office.stats.views import metrics

    console_bench.urlpatterns.append(path("metrics", metrics))
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ROOT_URLCONF = "bench.console_bench"
    call_command("migrate", verbosity=0)
    print(f"loading {args.emails:,} emails, {logs:,} logs and 30 days of rollup ...", flush=True)
    load_seconds = console_bench.load(args.emails, logs)
    with connection.cursor() as cursor:
        cursor.execute(ROLLUP_SQL)
        cursor.execute("VACUUM ANALYZE post_office_deliverystat")
        cursor.execute("SELECT count(*) FROM post_office_email")
        emails = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM post_office_log")
        log_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM post_office_deliverystat")
        rollup_rows = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(f"loaded in {load_seconds:.1f} s", flush=True)
    results = measure(args.runs)
    # The loaded queue (5% of the emails) would make the throughput rounds deliver it too.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE post_office_email SET status = 0 WHERE status IN (2, 3)")
    rates = throughput(args.dispatch, args.rounds)
    print(f"throughput: rollup on {rates['median_emails_per_s_on']} emails/s, off "
          f"{rates['median_emails_per_s_off']} emails/s, ratio {rates['on_vs_off']}")
    report = {
        "benchmark": "dashboard server time (Django test client, whole stack) and rollup overhead",
        "database": f"PostgreSQL {server}", "emails": emails, "logs": log_rows, "rollup_rows": rollup_rows,
        "load_seconds": round(load_seconds, 1), "runs_per_page": args.runs, "budget_ms": BUDGET_MS,
        "cpu_count": os.cpu_count(), "pages": results, "throughput": rates,
    }
    out = ROOT / "bench" / "results" / "dashboard.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")
    if not args.keep:
        console_bench.drop_database(args.db_name)


if __name__ == "__main__":
    main()
