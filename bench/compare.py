"""Side-by-side benchmark of this package and django-post_office 3.12.0 (``make bench``).

Runs ``bench/workload.py`` once per workload with each package's interpreter, alternating
ours/upstream workload by workload so machine noise hits both alike, against one aiosmtpd sink
in its own process, on SQLite and PostgreSQL scratch databases (dropped afterwards). Writes
``bench/results/<db>.json`` and ``bench/results/summary.md``. Sizes come from the environment
(see ``SIZES``); ``QUICK=1`` shrinks them for a smoke run. Needs no import of ``post_office``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from report import evaluate, write_summary

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OURS_PY = os.environ.get("BENCH_OURS_PYTHON", str(REPO / ".venv" / "bin" / "python"))
UPSTREAM_PY = os.environ.get("BENCH_UPSTREAM_PYTHON", str(BENCH / "upstream-venv" / "bin" / "python"))
PACKAGES = {"ours": OURS_PY, "upstream": UPSTREAM_PY}
QUICK = os.environ.get("QUICK") == "1"

# name: (full default = the sizes, QUICK default)
SIZES = {
    "ENQUEUE_N": (2000, 300),
    "SEND_MANY_N": (10000, 2000),
    "TEMPLATED_N": (2000, 300),
    "DISPATCH_N": (5000, 1000),
    "RAW_N": (5000, 1000),
    "REPEATS": (3, 1),
    "QUERY_BATCHES": ("100 500 2000", "100 500"),
    "RSS_SMALL": (2000, 500),
    "RSS_LARGE": (100000, 5000),
}


def size(name: str):
    full, quick = SIZES[name]
    value = os.environ.get(f"BENCH_{name}", str(quick if QUICK else full))
    return [int(v) for v in value.split()] if isinstance(full, str) else int(value)


RUN_ID = uuid.uuid4().hex[:8]
WORK = BENCH / ".work" / RUN_ID
ERRORS: list[str] = []


def say(text: str) -> None:
    print(text, flush=True)


# --- the SMTP sink ---------------------------------------------------------------------------------
class Sink:
    """tests/support/smtp_sink.py in its own process (our venv's python: it is only a server)."""

    def __init__(self) -> None:
        self.dir = WORK / "sink"
        self.dir.mkdir(parents=True)
        self.file = self.dir / "messages.jsonl"
        self.proc = subprocess.Popen([OURS_PY, "-m", "tests.support.smtp_sink", "--out", str(self.dir)],
                                     cwd=REPO, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.offset = 0

    def new_messages(self) -> list[dict]:
        """Messages accepted since the last call."""
        if not self.file.exists():
            return []
        with open(self.file, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        return [json.loads(line) for line in complete.splitlines()]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


# --- scratch databases -------------------------------------------------------------------------------
class Database:
    def __init__(self, vendor: str, package: str) -> None:
        self.vendor = vendor
        if vendor == "postgres":
            self.name = f"bench_post_office_{package}_{RUN_ID}"
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.name = str(WORK / f"{package}.sqlite3")

    @staticmethod
    def _admin(sql: str) -> None:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.vendor == "postgres":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            Path(self.name).unlink(missing_ok=True)


# --- running one workload ----------------------------------------------------------------------------
def run(package: str, db: Database, sink: Sink, *args: str, backend: str = "smtp", **env: str) -> dict | None:
    environ = {**os.environ, "BENCH_DB": db.vendor, "BENCH_DB_NAME": db.name,
               "BENCH_SMTP_PORT": str(sink.port), "BENCH_BACKEND": backend, **env}
    environ.pop("PYTHONPATH", None)  # the interpreter alone decides which post_office is measured
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    command = [PACKAGES[package], str(BENCH / "workload.py"), *args]
    proc = subprocess.run(command, cwd=BENCH, env=environ, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        ERRORS.append(f"{db.vendor}/{package} {' '.join(args)}: {proc.stderr.strip()[-800:]}")
        say(f"  !! {package} {' '.join(args)} failed:\n{proc.stderr.strip()[-800:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])



# --- the one-target scripts (one_connection.py, cpu_split.py) -------------------------------------------
def one_target_arguments(description: str, db: str, rounds: int, threads: bool = False) -> argparse.Namespace:
    """``--db``, ``--rounds``, ``--n`` and ``--sql`` (and ``--threads``, the dispatcher's
    THREADS_PER_PROCESS, when ``threads``), checked."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default=db)
    parser.add_argument("--rounds", type=int, default=rounds, choices=range(1, 100), metavar="1..99")
    parser.add_argument("--n", type=int, default=4000, help="emails per round")
    parser.add_argument("--sql", help="a statement to run on the scratch PostgreSQL database after migrating")
    if threads:
        parser.add_argument("--threads", type=int, default=1, choices=range(1, 65), metavar="1..64")
    args = parser.parse_args()
    if args.sql and args.db != "postgres":
        parser.error("--sql needs --db postgres")
    return args


@contextmanager
def scratch_for_ours(vendor: str, sql: str | None) -> Iterator[tuple[Database, Sink]]:
    """A migrated scratch database for this package alone (``sql`` run on it, PostgreSQL only)
    and a sink; both gone afterwards. Exits with 1 when the migration fails."""
    db = Database(vendor, "ours")  # first: if PostgreSQL is down, no sink is left running
    sink = Sink()
    try:
        if run("ours", db, sink, "migrate") is None:
            raise SystemExit(1)
        if sql:
            import psycopg

            with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={db.name}", autocommit=True) as conn:
                conn.execute(sql)
        yield db, sink
    finally:
        sink.stop()
        db.drop()
        shutil.rmtree(WORK, ignore_errors=True)

def both(label: str, dbs: dict, sink: Sink, *args: str, **kw) -> dict:
    out = {package: run(package, dbs[package], sink, *args, **kw) for package in PACKAGES}
    ours, up = out["ours"], out["upstream"]
    if ours and up:
        say(f"  {label:<44} ours {ours['rate']:>9.1f}/s   3.12 {up['rate']:>9.1f}/s   x{ours['rate'] / up['rate']:.2f}")
    return out


def median_run(runs: list[dict | None]) -> dict | None:
    """The run with the median rate, with every run's rate under ``rates``."""
    done = sorted((r for r in runs if r), key=lambda r: r["rate"])
    if not done:
        return None
    return {**done[len(done) // 2], "rates": [r["rate"] for r in done]}


def run_dispatch(package: str, db: Database, sink: Sink, processes: int, threads: int | None = None,
                 backend: str = "smtp") -> dict | None:
    """One ``send_queued_mail`` run of ``package``; ``threads`` sets THREADS_PER_PROCESS (None:
    the bench settings' default). Each configuration gets its own lock file, which
    django-post_office takes and this package ignores."""
    env = {} if threads is None else {"BENCH_THREADS": str(threads)}
    lockfile = str(WORK / f"lock_{package}_{processes}_{threads or 'default'}")
    return run(package, db, sink, "dispatch", "--processes", str(processes), "--lockfile", lockfile,
               backend=backend, **env)


def dispatch(label: str, dbs: dict, sink: Sink, n: int, processes: int, threads: int,
             backend: str = "smtp") -> dict:
    out = {}
    for package in PACKAGES:
        sink.new_messages()
        queued = run(package, dbs[package], sink, "queue", "--n", str(n))
        if queued is None:
            out[package] = None
            continue
        result = run_dispatch(package, dbs[package], sink, processes, threads, backend=backend)
        if result is not None and backend == "dummy":
            if result["statuses"].get("sent") != n:
                ERRORS.append(f"{dbs[package].vendor}/{package} {label}: queued {n}, statuses {result['statuses']}")
        elif result is not None:
            arrived = sink.new_messages()
            ids = [m["message_id"] for m in arrived]
            result.update(threads=threads, arrived=len(arrived), distinct_message_ids=len(set(ids)))
            if result["statuses"].get("sent") != n or len(arrived) != n or len(set(ids)) != n:
                ERRORS.append(f"{dbs[package].vendor}/{package} {label}: queued {n}, statuses {result['statuses']}, "
                              f"{len(arrived)} arrived ({len(set(ids))} distinct)")
        out[package] = result
    ours, up = out["ours"], out["upstream"]
    if ours and up:
        arrived = f"   (arrived {ours['arrived']}/{up['arrived']})" if backend == "smtp" else ""
        say(f"  {label:<44} ours {ours['rate']:>9.1f}/s   3.12 {up['rate']:>9.1f}/s   "
            f"x{ours['rate'] / up['rate']:.2f}{arrived}")
    return out


def bench_database(vendor: str, sink: Sink) -> dict:
    say(f"\n=== {vendor} ===")
    dbs = {package: Database(vendor, package) for package in PACKAGES}
    results: dict = {"vendor": vendor, "run_id": RUN_ID, "quick": QUICK, "sizes": {k: size(k) for k in SIZES}}
    try:
        for package in PACKAGES:
            results.setdefault("info", {})[package] = run(package, dbs[package], sink, "info")
            run(package, dbs[package], sink, "migrate")
        say(f"  measuring post_office from: {results['info']['ours']['post_office']} vs "
            f"{results['info']['upstream']['post_office']}")
        # Each enqueue workload takes a second or less: a pause of the machine in one run would
        # decide its ratio, so each runs in REPEATS rounds too and reports its median run.
        for key, label, size_name in (("enqueue", "mail.send x{n}", "ENQUEUE_N"),
                                      ("send_many", "send_many of {n}", "SEND_MANY_N"),
                                      ("templated", "templated send x{n}", "TEMPLATED_N")):
            n = size(size_name)
            runs = [both(label.format(n=n), dbs, sink, key, "--n", str(n)) for _ in range(size("REPEATS"))]
            results[key] = {package: median_run([out[package] for out in runs]) for package in PACKAGES}

        # The SMTP workloads are the noisiest (sink, dispatcher and database share two cores), so
        # they run in REPEATS rounds, each round raw smtplib then every dispatch configuration,
        # and report the median run; the one-connection share is the median of each round's own.
        raw_n, n = size("RAW_N"), size("DISPATCH_N")
        configs = {f"p{processes}_t{threads}": (processes, threads) for processes, threads in ((1, 1), (1, 5), (2, 5))}
        raw_runs: dict[str, list] = {"1": [], "2": []}
        dispatch_runs = {key: {package: [] for package in PACKAGES} for key in configs}
        for round_number in range(1, size("REPEATS") + 1):
            say(f"  round {round_number}")
            for conns in raw_runs:
                raw = run("ours", dbs["ours"], sink, "raw_smtp", "--n", str(raw_n), "--connections", conns)
                arrived = len(sink.new_messages())
                if raw:
                    raw["arrived"] = arrived
                    say(f"  raw smtplib, {conns} connection(s), {raw_n} msgs   {raw['rate']:>9.1f}/s"
                        f"   (arrived {arrived})")
                raw_runs[conns].append(raw)
            for key, (processes, threads) in configs.items():
                label = f"dispatch {n}: {processes} process(es) x {threads} thread(s)"
                out = dispatch(label, dbs, sink, n, processes, threads)
                for package in PACKAGES:
                    dispatch_runs[key][package].append(out[package])
        results["raw_smtp"] = {conns: median_run(runs) for conns, runs in raw_runs.items()}
        results["dispatch"] = {key: {package: median_run(runs) for package, runs in by_package.items()}
                               for key, by_package in dispatch_runs.items()}
        results["one_connection_shares"] = {
            package: [run_["rate"] / raw["rate"]
                      for raw, run_ in zip(raw_runs["1"], dispatch_runs["p1_t1"][package], strict=True) if raw and run_]
            for package in PACKAGES
        }
        # The dispatcher's own cost per email, without the sink sharing the two cores.
        results["dispatch"]["dummy_p1_t5"] = dispatch(f"dispatch {n}: dummy backend, 1 process x 5 threads",
                                                      dbs, sink, n, 1, 5, backend="dummy")

        results["queries"] = {}
        for batch in size("QUERY_BATCHES"):
            out = {package: run(package, dbs[package], sink, "queries", "--batch-size", str(batch), backend="dummy")
                   for package in PACKAGES}
            results["queries"][str(batch)] = out
            if out["ours"] and out["upstream"]:
                say(f"  queries/email, BATCH_SIZE {batch:<6} (excl. log inserts)  ours "
                    f"{out['ours']['per_email_excl_log_inserts']:.4f}   3.12 "
                    f"{out['upstream']['per_email_excl_log_inserts']:.4f}")

        results["rss"] = {}
        for key in ("RSS_SMALL", "RSS_LARGE"):
            n = size(key)
            run("ours", dbs["ours"], sink, "queue", "--n", str(n), backend="dummy")
            out = run_dispatch("ours", dbs["ours"], sink, 1, backend="dummy")
            results["rss"][str(n)] = out
            if out:
                say(f"  peak RSS dispatching {n:>7} (dummy backend, 1 process): {out['maxrss_kb'] / 1024:.1f} MB"
                    f"   ({out['rate']:.0f}/s, statuses {out['statuses']})")
    finally:
        for db in dbs.values():
            db.drop()
    results["targets"] = evaluate(results)
    for target in results["targets"]:
        say(f"  [{'MET ' if target['met'] else 'MISS'}] {target['name']}: {target['detail']}")
    return results


def main() -> int:
    vendors = os.environ.get("BENCH_DBS", "sqlite postgres").split()
    started = time.monotonic()
    say(f"post_office benchmark run {RUN_ID}{' (QUICK)' if QUICK else ''}: {', '.join(vendors)}; "
        f"2 cores shared with other work, so read the ratios, not the absolute figures.")
    sink = Sink()
    say(f"aiosmtpd sink in its own process (pid {sink.proc.pid}) on 127.0.0.1:{sink.port}")
    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    all_results = {}
    try:
        for vendor in vendors:
            all_results[vendor] = bench_database(vendor, sink)
            with open(results_dir / f"{vendor}.json", "w") as handle:
                json.dump(all_results[vendor], handle, indent=2, sort_keys=True)
    finally:
        sink.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    write_summary(all_results, results_dir / "summary.md")
    say(f"\nwrote {results_dir}/summary.md and {', '.join(v + '.json' for v in all_results)} "
        f"in {time.monotonic() - started:.0f}s")
    if ERRORS:
        say("\nERRORS:\n" + "\n".join(ERRORS))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
