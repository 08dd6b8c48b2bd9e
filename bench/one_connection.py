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

import statistics
import sys

from compare import OURS_PY, one_target_arguments, run, run_dispatch, say, scratch_for_ours


def main() -> int:
    args = one_target_arguments(__doc__.splitlines()[0], db="sqlite", rounds=5)
    shares = []
    with scratch_for_ours(args.db, args.sql) as (db, sink):
        for number in range(1, args.rounds + 1):
            sink.new_messages()  # only this round's messages are counted
            raw = run("ours", db, sink, "raw_smtp", "--n", str(args.n))
            queued = run("ours", db, sink, "queue", "--n", str(args.n))
            dispatched = run_dispatch("ours", db, sink, processes=1, threads=1)
            if None in (raw, queued, dispatched):
                return 1
            arrived = len({m["message_id"] for m in sink.new_messages()})
            if arrived != 2 * args.n:  # raw smtplib's and the dispatcher's, each once
                say(f"round {number}: {arrived} distinct messages arrived, expected {2 * args.n}")
                return 1
            shares.append(dispatched["rate"] / raw["rate"])
            say(f"round {number}: raw {raw['rate']:.0f}/s, dispatch {dispatched['rate']:.0f}/s, "
                f"share {shares[-1]:.1%}")
    say(f"median share over {len(shares)} rounds: {statistics.median(shares):.1%} ({OURS_PY})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
