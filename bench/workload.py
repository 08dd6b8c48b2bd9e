"""One benchmark workload, run by whichever interpreter imports the ``post_office`` to measure.

``bench/compare.py`` runs this same file with ``.venv/bin/python`` (this package) and with
``bench/upstream-venv/bin/python`` (django-post_office 3.12.0), each against its own scratch
database, and reads the JSON object printed on the last line of stdout. Only the public API
both packages share is used (``mail.send``, ``mail.send_many``, ``mail.send_queued``,
``EmailTemplate``, ``send_queued_mail``), so the same code measures both.

Run as a script (``python bench/workload.py ...``), never with ``-m`` from the repository root:
that would put the repository's ``post_office`` on ``sys.path`` ahead of the upstream venv's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.mail import EmailMultiAlternatives  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.backends import utils as db_utils  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

import post_office  # noqa: E402
from post_office import mail  # noqa: E402
from post_office.models import Email, EmailTemplate  # noqa: E402

TEXT = ("Hello {i},\n\nThis is message number {i} of the benchmark. " * 6).strip()
HTML = "<html><body><h1>Hello {i}</h1>" + "<p>This is message <b>{i}</b> of the benchmark.</p>" * 12 + "</body></html>"
TEMPLATE_NAME = "bench_welcome"


def email_kwargs(i: int) -> dict:
    return {
        "recipients": [f"user{i}@example.com"],
        "sender": "Bench <bench@example.com>",
        "subject": f"Bench {i}",
        "message": TEXT.format(i=i),
        "html_message": HTML.format(i=i),
    }


# --- query counting -----------------------------------------------------------------------------
class QueryCounter:
    """Counts every SQL statement from every thread (delivery threads use their own connections,
    which ``CaptureQueriesContext`` would miss), by patching Django's cursor wrapper."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.lock = threading.Lock()
        self._original = db_utils.CursorWrapper._execute_with_wrappers

    def __enter__(self) -> QueryCounter:
        counter, original = self, self._original

        def counting(cursor, sql, params, many, executor):
            with counter.lock:
                counter.statements.append(str(sql))
            return original(cursor, sql, params, many, executor)

        db_utils.CursorWrapper._execute_with_wrappers = counting
        return self

    def __exit__(self, *exc) -> None:
        db_utils.CursorWrapper._execute_with_wrappers = self._original

    @property
    def total(self) -> int:
        return len(self.statements)

    @property
    def log_inserts(self) -> int:
        return sum(1 for sql in self.statements if sql.lstrip().upper().startswith('INSERT INTO "POST_OFFICE_LOG"'))

    def shapes(self) -> dict[str, int]:
        return dict(Counter(" ".join(sql.split())[:90] for sql in self.statements).most_common(12))


@contextmanager
def timed():
    """Wall time, and this process's CPU time (less sensitive to other load on the machine)."""
    result = {}
    started, cpu_started = time.perf_counter(), cpu_seconds()
    yield result
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = cpu_seconds() - cpu_started


# --- helpers --------------------------------------------------------------------------------------
def clear() -> None:
    """Empty the email tables (both packages use the same table names)."""
    tables = ["post_office_log", "post_office_attachment_emails", "post_office_attachment", "post_office_email"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f'DELETE FROM "{table}"')


def analyze() -> None:
    # A production table has planner statistics; a freshly truncated one would not.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def status_counts() -> dict[str, int]:
    names = {0: "sent", 1: "failed", 2: "queued", 3: "requeued"}
    rows = Email.objects.order_by().values_list("status").annotate(n=Count("id"))
    return {names.get(status, str(status)): n for status, n in rows}


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the ``--processes`` workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds else 0.0


# --- workloads --------------------------------------------------------------------------------------
def cmd_info(args) -> dict:
    return {"post_office": os.path.dirname(post_office.__file__), "django": django.get_version(),
            "vendor": connection.vendor}


def cmd_migrate(args) -> dict:
    call_command("migrate", verbosity=0, interactive=False)
    return {"migrated": True}


def cmd_enqueue(args) -> dict:
    clear()
    with QueryCounter() as queries, timed() as t:
        for i in range(args.n):
            mail.send(**email_kwargs(i))
    assert Email.objects.count() == args.n
    return {"n": args.n, "seconds": t["seconds"], "rate": rate(args.n, t["seconds"]),
            "cpu_us_per_email": round(1e6 * t["cpu_seconds"] / args.n, 1),
            "queries_per_email": queries.total / args.n, "shapes": queries.shapes()}


def cmd_send_many(args) -> dict:
    clear()
    kwargs_list = [email_kwargs(i) for i in range(args.n)]
    with QueryCounter() as queries, timed() as t:
        mail.send_many(kwargs_list)
    assert Email.objects.count() == args.n
    return {"n": args.n, "seconds": t["seconds"], "rate": rate(args.n, t["seconds"]),
            "cpu_us_per_email": round(1e6 * t["cpu_seconds"] / args.n, 1),
            "queries_per_100": 100 * queries.total / args.n, "shapes": queries.shapes()}


def cmd_templated(args) -> dict:
    clear()
    EmailTemplate.objects.filter(name=TEMPLATE_NAME).delete()
    EmailTemplate.objects.create(
        name=TEMPLATE_NAME, subject="Welcome {{ name }} to {{ site }}",
        content="Hi {{ name }},\n{% for item in items %}- {{ item }}\n{% endfor %}Thanks, {{ site }}",
        html_content="<h1>Hi {{ name }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>",
    )
    with QueryCounter() as queries, timed() as t:
        for i in range(args.n):
            mail.send(recipients=[f"user{i}@example.com"], sender="bench@example.com", template=TEMPLATE_NAME,
                      context={"name": f"User {i}", "site": "Bench", "items": ["one", "two", str(i)]})
    assert Email.objects.count() == args.n
    return {"n": args.n, "seconds": t["seconds"], "rate": rate(args.n, t["seconds"]),
            "cpu_us_per_email": round(1e6 * t["cpu_seconds"] / args.n, 1),
            "queries_per_email": queries.total / args.n, "shapes": queries.shapes()}


def cmd_queue(args) -> dict:
    """Fill the queue with ``n`` due emails (setup for dispatch; not a measurement)."""
    clear()
    chunk = 10_000
    with timed() as t:
        for start in range(0, args.n, chunk):
            mail.send_many([email_kwargs(i) for i in range(start, min(args.n, start + chunk))])
    analyze()
    return {"n": args.n, "seconds": t["seconds"]}


def cmd_dispatch(args) -> dict:
    """Time ``send_queued_mail`` in this fresh process; also report its peak RSS."""
    queued = Email.objects.count()
    connections.close_all()
    with timed() as t:
        call_command("send_queued_mail", processes=args.processes, lockfile=args.lockfile, verbosity=0)
    cpu = t["cpu_seconds"]
    # Read before anything else runs in this process: the dispatcher's own peak.
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = status_counts()
    sent = counts.get("sent", 0)
    return {"queued": queued, "processes": args.processes, "seconds": t["seconds"], "rate": rate(sent, t["seconds"]),
            "cpu_ms_per_email": round(1000 * cpu / sent, 3) if sent else None,
            "statuses": counts, "maxrss_kb": maxrss_kb,
            "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def cmd_queries(args) -> dict:
    """Queries to dispatch one batch of ``batch_size`` through ``mail.send_queued()``."""
    clear()
    mail.send_many([email_kwargs(i) for i in range(args.batch_size)])
    analyze()
    settings_override = {**settings.POST_OFFICE, "BATCH_SIZE": args.batch_size}
    with override_settings(POST_OFFICE=settings_override), QueryCounter() as queries:
        sent, failed, requeued = mail.send_queued(processes=1)
    assert sent == args.batch_size, (sent, failed, requeued)
    excluding_logs = queries.total - queries.log_inserts
    return {"batch_size": args.batch_size, "sent": sent, "queries": queries.total,
            "log_inserts": queries.log_inserts, "per_email": queries.total / sent,
            "per_email_excl_log_inserts": excluding_logs / sent, "shapes": queries.shapes()}


def cmd_raw_smtp(args) -> dict:
    """The physical limit: prebuilt messages over ``connections`` long-lived smtplib connections
    (one forked process each), no database, no rendering."""
    import multiprocessing
    import smtplib

    payloads = []
    for i in range(args.n):
        kwargs = email_kwargs(i)
        msg = EmailMultiAlternatives(kwargs["subject"], kwargs["message"], kwargs["sender"], kwargs["recipients"])
        msg.attach_alternative(kwargs["html_message"], "text/html")
        # Exactly the bytes Django's SMTP backend would write for this message.
        payloads.append((kwargs["recipients"], msg.message().as_bytes(linesep="\r\n")))
    port = settings.EMAIL_PORT

    def send(share: list) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            for recipients, data in share:
                client.sendmail("bench@example.com", recipients, data)

    context = multiprocessing.get_context("fork")
    shares = [payloads[k::args.connections] for k in range(args.connections)]
    with timed() as t:
        workers = [context.Process(target=send, args=(share,)) for share in shares]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    failed = sum(1 for worker in workers if worker.exitcode != 0)
    if failed:
        raise SystemExit(f"{failed} raw smtplib connection(s) failed; see the traceback above.")
    return {"n": args.n, "connections": args.connections, "seconds": t["seconds"],
            "rate": rate(args.n, t["seconds"]),
            "cpu_us_per_email": round(1e6 * t["cpu_seconds"] / args.n, 1), "failed_workers": failed}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info")
    sub.add_parser("migrate")
    for name in ("enqueue", "send_many", "templated", "queue"):
        sub.add_parser(name).add_argument("--n", type=int, required=True)
    dispatch = sub.add_parser("dispatch")
    dispatch.add_argument("--processes", type=int, default=1)
    dispatch.add_argument("--lockfile", required=True)
    sub.add_parser("queries").add_argument("--batch-size", type=int, required=True)
    raw = sub.add_parser("raw_smtp")
    raw.add_argument("--n", type=int, required=True)
    raw.add_argument("--connections", type=int, default=1)
    args = parser.parse_args()
    result = globals()[f"cmd_{args.command}"](args)
    connections.close_all()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
