"""The engine every entry point shares: ``send_queued_mail``, ``mail.send_queued()``, the
Celery tasks and ``priority='now'``.

One batch: claim (short transaction) -> deliver (no transaction open, threads reuse one
connection each) -> record (bulk, every ``RESULTS_FLUSH_SIZE`` results). A crash between a
server's acceptance and the next record resends at most the unrecorded results of that batch;
``RESULTS_FLUSH_SIZE=1`` narrows the window to one message per thread, at one write per email.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable

from django import db
from django.db import connection as db_connection

from ..conf import post_office_settings
from ..models import STATUS, Email
from .claim import claim_batch, claim_one, new_lease_token
from .deliver import deliver
from .record import Tally, record
from .retry import RetryPolicy

logger = logging.getLogger("post_office")

ProgressCallback = Callable[[Tally, float], None]


def _log_level(log_level: int | None) -> int:
    return post_office_settings.log_level if log_level is None else log_level


def run_batch(log_level: int | None = None, stop: threading.Event | None = None,
              batch_size: int | None = None) -> Tally:
    """Claim one batch, deliver it and record the outcome. An empty Tally means nothing was due."""
    token = new_lease_token()
    emails = claim_batch(token, batch_size or post_office_settings.batch_size)
    tally = Tally()
    if not emails:
        return tally
    level, policy = _log_level(log_level), RetryPolicy.from_settings()
    flush_size = post_office_settings.results_flush_size
    deadline = time.monotonic() + post_office_settings.batch_delivery_timeout
    pending = []
    try:
        for result in deliver(emails, post_office_settings.threads_per_process, deadline, stop):
            pending.append(result)
            if len(pending) >= flush_size:
                tally.add(record(pending, level, policy))
                pending = []
    finally:
        # Also on KeyboardInterrupt: what was sent is recorded, the rest waits for its lease.
        if pending:
            tally.add(record(pending, level, policy))
    logger.info("Batch done: %d sent, %d failed, %d requeued.", tally.sent, tally.failed, tally.requeued)
    return tally


def send_until_done(log_level: int | None = None, stop: threading.Event | None = None,
                    on_progress: ProgressCallback | None = None) -> Tally:
    """Run batches until nothing is due (or ``stop`` is set)."""
    total, started = Tally(), time.monotonic()
    stop = stop or threading.Event()
    while not stop.is_set():
        if not db_connection.in_atomic_block:
            db.close_old_connections()
        tally = run_batch(log_level, stop)
        if not (tally.sent or tally.failed or tally.requeued or tally.released):
            break
        total.add(tally)
        if on_progress:
            on_progress(total, time.monotonic() - started)
    return total


def _child(args: tuple[str, int | None, bool]) -> tuple[int, int, int]:
    mode, log_level, progress = args
    stop = threading.Event()
    _install_sigterm(stop)
    callback = _print_progress if progress else None
    tally = run_batch(log_level, stop) if mode == "once" else send_until_done(log_level, stop, callback)
    db.connections.close_all()
    return tally.as_tuple()


def _print_progress(tally: Tally, elapsed: float) -> None:
    rate = tally.sent / elapsed if elapsed else 0.0
    remaining = Email.objects.due().count()
    print(f"[pid {os.getpid()}] sent {tally.sent}, failed {tally.failed}, requeued {tally.requeued}, "
          f"remaining {remaining}, {rate:.1f} emails/s", flush=True)


def _install_sigterm(stop: threading.Event) -> None:
    """First SIGTERM: finish the email in hand, record, exit. Second: exit at once."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        if stop.is_set():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        stop.set()

    signal.signal(signal.SIGTERM, handler)


def _in_processes(mode: str, processes: int, log_level: int | None, progress: bool) -> Tally:
    total = Tally()
    if processes <= 1:
        stop = threading.Event()
        if mode == "once":
            total.add(run_batch(log_level, stop))
        else:
            total.add(send_until_done(log_level, stop, _print_progress if progress else None))
        return total
    # Forked children must not share the parent's database socket.
    db.connections.close_all()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for sent, failed, requeued in pool.map(_child, [(mode, log_level, progress)] * processes):
            total.sent += sent
            total.failed += failed
            total.requeued += requeued
    return total


def send_queued(processes: int = 1, log_level: int | None = None) -> tuple[int, int, int]:
    """Deliver one batch per process; returns ``(sent, failed, requeued)``."""
    return _in_processes("once", processes, log_level, progress=False).as_tuple()


def send_queued_until_done(processes: int = 1, log_level: int | None = None,
                           progress: bool = False) -> tuple[int, int, int]:
    """Deliver until nothing is due; returns ``(sent, failed, requeued)``."""
    return _in_processes("until_done", processes, log_level, progress).as_tuple()


def deliver_now(email: Email, log_level: int | None = None, connection=None, commit: bool = True) -> int:
    """Deliver one email immediately (``priority='now'``, ``Email.dispatch()``); returns its status.

    If another dispatcher already holds it, leave it to that one and return its current status.
    """
    token = email.lease_token or new_lease_token()
    if email.lease_token != token and not claim_one(email, token):
        return email.status
    results = list(deliver([email], threads=1, deadline=time.monotonic() + 3600, connection=connection))
    record(results, _log_level(log_level), RetryPolicy.from_settings())
    return email.status if email.status is not None else STATUS.queued
