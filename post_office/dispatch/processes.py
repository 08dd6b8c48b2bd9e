"""``--processes N``: N forked dispatchers, each claiming its own batches from the database.

The parent only aggregates: children report their tally after every batch over a queue, the
parent prints progress, forwards SIGTERM/Ctrl-C, and notices a child that died without reporting.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable

from django import db

from .record import Tally
from .shutdown import graceful_stop

logger = logging.getLogger("post_office")

ChildRunner = Callable[[threading.Event, Callable[[Tally], None]], Tally]


def _child(index: int, runner: ChildRunner, reports) -> None:
    # Ctrl-C reaches the whole process group; the parent forwards it once as SIGTERM instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = threading.Event()
    with graceful_stop(stop, signals=(signal.SIGTERM,)):
        tally = runner(stop, lambda partial: reports.put(("progress", index, _numbers(partial))))
    db.connections.close_all()
    reports.put(("done", index, _numbers(tally)))


def _numbers(tally: Tally) -> tuple[int, int, int, int]:
    return tally.sent, tally.failed, tally.requeued, tally.released


def run_in_processes(processes: int, runner: ChildRunner,
                     on_progress: Callable[[Tally, float], None] | None = None,
                     progress_every: float = 10.0) -> Tally:
    """Run ``runner(stop, report)`` in ``processes`` forked children; return the summed tally."""
    db.connections.close_all()  # forked children must not share the parent's database socket
    context = multiprocessing.get_context("fork")
    reports = context.Queue()
    children = [context.Process(target=_child, args=(n, runner, reports), name=f"post_office-dispatcher-{n}")
                for n in range(processes)]
    latest: dict[int, tuple[int, int, int, int]] = {}
    done: set[int] = set()

    def forward(signum: int) -> None:
        for child in children:
            if child.pid and child.is_alive():
                os.kill(child.pid, signal.SIGTERM)

    started = last_report = time.monotonic()
    with graceful_stop(threading.Event(), on_signal=forward):
        for child in children:
            child.start()
        while len(done) < processes:
            try:
                kind, index, numbers = reports.get(timeout=0.5)
            except queue.Empty:
                for index, child in enumerate(children):
                    if index not in done and not child.is_alive() and reports.empty():
                        logger.error("Dispatcher process %s exited (code %s) without reporting; its "
                                     "unrecorded emails return to the queue when their lease expires.",
                                     child.pid, child.exitcode)
                        done.add(index)
                continue
            latest[index] = numbers
            if kind == "done":
                done.add(index)
            if on_progress and time.monotonic() - last_report >= progress_every and len(done) < processes:
                last_report = time.monotonic()
                on_progress(_sum(latest.values()), last_report - started)
        for child in children:
            child.join()
    return _sum(latest.values())


def _sum(rows) -> Tally:
    total = Tally()
    for sent, failed, requeued, released in rows:
        total.add(Tally(sent=sent, failed=failed, requeued=requeued, released=released))
    return total
