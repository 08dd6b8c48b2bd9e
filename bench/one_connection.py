"""Quick A/B for one target: dispatch over one connection as a share of raw smtplib.

``make bench`` measures raw smtplib and every dispatch configuration in turn, so a round's raw
figure and its dispatch figure are a minute apart on a machine that drifts. This runs only the
pair, back to back, in ``--rounds`` rounds, for this package alone, and prints each round's
share and the median: a few minutes to judge a change to the dispatcher's hot path.

    .venv/bin/python bench/one_connection.py --db postgres --rounds 5 --n 4000
    .venv/bin/python bench/one_connection.py --db postgres --sql "DROP INDEX post_office_email_to_trgm"

``--sql`` runs a statement on the scratch database after migrating it (PostgreSQL only): a way to
try a schema change (an index, a fillfactor) before writing its migration.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys

from compare import OURS_PY, WORK, Database, Sink, run, say


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 100), metavar="1..99")
    parser.add_argument("--n", type=int, default=4000, help="emails per run")
    parser.add_argument("--sql", help="a statement to run on the scratch PostgreSQL database after migrating")
    args = parser.parse_args()
    if args.sql and args.db != "postgres":
        parser.error("--sql needs --db postgres")

    db = Database(args.db, "ours")  # first: if PostgreSQL is down, no sink is left running
    sink = Sink()
    shares = []
    try:
        if run("ours", db, sink, "migrate") is None:
            return 1
        if args.sql:
            import psycopg

            with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={db.name}", autocommit=True) as conn:
                conn.execute(args.sql)
        for number in range(1, args.rounds + 1):
            sink.new_messages()  # only this round's messages are counted
            raw = run("ours", db, sink, "raw_smtp", "--n", str(args.n))
            queued = run("ours", db, sink, "queue", "--n", str(args.n))
            dispatched = run("ours", db, sink, "dispatch", "--processes", "1", "--lockfile",
                             str(WORK / "lock"), BENCH_THREADS="1")
            if None in (raw, queued, dispatched):
                return 1
            arrived = len({m["message_id"] for m in sink.new_messages()})
            if arrived != 2 * args.n:  # raw smtplib's and the dispatcher's, each once
                say(f"round {number}: {arrived} distinct messages arrived, expected {2 * args.n}")
                return 1
            shares.append(dispatched["rate"] / raw["rate"])
            say(f"round {number}: raw {raw['rate']:.0f}/s, dispatch {dispatched['rate']:.0f}/s, "
                f"share {shares[-1]:.1%}")
    finally:
        sink.stop()
        db.drop()
        shutil.rmtree(WORK, ignore_errors=True)
    say(f"median share over {len(shares)} rounds: {statistics.median(shares):.1%} ({OURS_PY})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
