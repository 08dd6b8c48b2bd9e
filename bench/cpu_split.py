"""Where a message's CPU goes in a one-process dispatch: the SMTP sink, the dispatcher and the
database server, per email.

The one-connection share (``bench/one_connection.py``) says how far the dispatcher is from raw
smtplib; this says why. It runs the dispatch in ``--rounds`` rounds and reads the CPU time of the
sink's process and of every ``postgres`` process from ``/proc`` before and after each one (Linux
only), next to the dispatcher's own (user + system, as ``make bench`` measures it):

    .venv/bin/python bench/cpu_split.py --db postgres --n 4000
    .venv/bin/python bench/cpu_split.py --db postgres --threads 5
    .venv/bin/python bench/cpu_split.py --db postgres --sql "DROP INDEX post_office_email_status_013a896c"

On SQLite the database works inside the dispatcher, so its figure is the dispatcher's alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from compare import OURS_PY, one_target_arguments, run, run_dispatch, say, scratch_for_ours

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(matches: Callable[[str, bytes], bool]) -> float:
    """User + system CPU of the live processes whose (name, command line) ``matches``, and of
    their reaped children: the dispatcher's PostgreSQL backend has exited by the second reading,
    and its time is then the postmaster's."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as handle:
                name = handle.read().strip()
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:  # gone meanwhile
            continue
        if matches(name, command):
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICKS


def is_postgres(name: str, command: bytes) -> bool:
    return name == "postgres"


def is_sink(name: str, command: bytes) -> bool:
    return b"tests.support.smtp_sink" in command


def main() -> int:
    args = one_target_arguments(__doc__.splitlines()[0], db="postgres", rounds=3, threads=True)
    with scratch_for_ours(args.db, args.sql) as (db, sink):
        for number in range(1, args.rounds + 1):
            if run("ours", db, sink, "queue", "--n", str(args.n)) is None:
                return 1
            server, sink_cpu = cpu_seconds(is_postgres), cpu_seconds(is_sink)
            dispatched = run_dispatch("ours", db, sink, processes=1, threads=args.threads)
            if dispatched is None:
                return 1
            server, sink_cpu = cpu_seconds(is_postgres) - server, cpu_seconds(is_sink) - sink_cpu
            per_email = 1e6 / args.n
            database = f", database server {server * per_email:.0f} µs" if args.db == "postgres" else ""
            dispatcher, rate = 1000 * dispatched["cpu_ms_per_email"], dispatched["rate"]
            say(f"round {number}: {rate:.0f} emails/s; CPU per email: sink {sink_cpu * per_email:.0f} µs, "
                f"dispatcher {dispatcher:.0f} µs{database}; wall {1e6 / rate:.0f} µs")
    say(f"({OURS_PY})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
