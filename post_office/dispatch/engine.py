"""The engine every entry point shares: ``send_queued_mail``, ``mail.send_queued()``, the
Celery tasks and ``priority='now'``.

One batch: claim (short transaction) -> deliver (no transaction open; threads reuse one
connection each) -> record (bulk, every ``RESULTS_FLUSH_SIZE`` results). While the batch runs, its
lease is renewed every third of ``LEASE_DURATION``, so only a dead dispatcher loses its claim.

Duplicate window. An email is sent twice only if its dispatcher dies (SIGKILL, OOM, power) after
the server accepted it and before the outcome was committed; its lease then expires and another
dispatcher sends it again. Delivery threads take a permit before each send and get it back only
when the result is committed, so per dead dispatcher process at most
``RESULTS_FLUSH_SIZE + THREADS_PER_PROCESS`` emails can be resent (with the defaults,
BATCH_SIZE + 5 = 105). ``RESULTS_FLUSH_SIZE=1`` narrows it to 1 + THREADS_PER_PROCESS, at one
write per email. A graceful stop (SIGTERM, Ctrl-C) records everything sent: no duplicates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django import db
from django.db import DatabaseError
from django.db import connection as db_connection

from ..conf import post_office_settings
from ..models import STATUS, Email
from .claim import claim_batch, claim_one, new_lease_token, renew
from .deliver import DeliveryResult, deliver
from .processes import run_in_processes
from .record import Tally, record
from .retry import RetryPolicy
from .shutdown import graceful_stop

logger = logging.getLogger("post_office")

ProgressCallback = Callable[[Tally, float], None]


def _log_level(log_level: int | None) -> int:
    return post_office_settings.log_level if log_level is None else log_level


class LeaseKeeper:
    """Renews a batch's lease from a side thread while the batch is delivered."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.interval = max(post_office_settings.lease_duration / 3, 0.2)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="post_office-lease", daemon=True)

    def _run(self) -> None:
        try:
            while not self._done.wait(self.interval):
                try:
                    renew(self.token)
                except DatabaseError as exc:  # the next renewal may succeed; the lease has slack
                    logger.warning("Could not renew lease %s: %s", self.token, exc)
        finally:
            db.connections.close_all()  # this thread's connection only

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


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
    threads = post_office_settings.threads_per_process
    deadline = time.monotonic() + post_office_settings.batch_delivery_timeout
    window = threading.Semaphore(flush_size + threads)  # see "Duplicate window" above
    pending: list[DeliveryResult] = []

    def flush() -> None:
        nonlocal pending
        batch, pending = pending, []
        tally.add(record(batch, level, policy))
        for result in batch:
            if result.attempted:
                window.release()

    with LeaseKeeper(token):
        try:
            for result in deliver(emails, threads, deadline, stop, window=window):
                pending.append(result)
                if len(pending) >= flush_size:
                    flush()
        finally:
            # Also on KeyboardInterrupt: what was sent is recorded, the rest waits for its lease.
            if pending:
                flush()
    logger.info("Batch done: %d sent, %d failed, %d requeued, %d released.",
                tally.sent, tally.failed, tally.requeued, tally.released)
    return tally


class _Throttle:
    def __init__(self, callback: ProgressCallback | None, every: float) -> None:
        self.callback, self.every = callback, every
        self.started = self.last = time.monotonic()

    def __call__(self, tally: Tally) -> None:
        now = time.monotonic()
        if self.callback and now - self.last >= self.every:
            self.last = now
            self.callback(tally, now - self.started)


def send_until_done(log_level: int | None = None, stop: threading.Event | None = None,
                    on_progress: ProgressCallback | None = None, progress_every: float = 10.0,
                    on_batch: Callable[[Tally], None] | None = None) -> Tally:
    """Run batches until nothing is due (or ``stop`` is set).

    ``on_progress(total, elapsed)`` is called at most every ``progress_every`` seconds;
    ``on_batch(total)`` after every batch.
    """
    total = Tally()
    stop = stop or threading.Event()
    throttle = _Throttle(on_progress, progress_every)
    while not stop.is_set():
        if not db_connection.in_atomic_block:
            db.close_old_connections()
        tally = run_batch(log_level, stop)
        total.add(tally)
        # Nothing due, or a batch that only gave its emails back (deadline, stop): claiming again
        # at once would spin, so leave them to the next run.
        if not (tally.sent or tally.failed or tally.requeued):
            break
        if on_batch:
            on_batch(total)
        throttle(total)
    return total


def dispatch(until_done: bool = True, processes: int = 1, log_level: int | None = None,
             on_progress: ProgressCallback | None = None, progress_every: float = 10.0,
             handle_signals: bool = False) -> Tally:
    """Deliver with ``processes`` dispatchers: one batch each, or ``until_done``.

    ``handle_signals`` (the management command): the first SIGTERM/Ctrl-C finishes and records
    the emails in hand, the second exits at once. Forked children always handle SIGTERM so.
    """
    def runner(stop: threading.Event, report: Callable[[Tally], None] | None = None) -> Tally:
        if until_done:
            return send_until_done(log_level, stop, on_progress if report is None else None,
                                   progress_every, on_batch=report)
        return run_batch(log_level, stop)

    if processes > 1:
        return run_in_processes(processes, runner, on_progress, progress_every)
    stop = threading.Event()
    if handle_signals:
        with graceful_stop(stop):
            return runner(stop)
    return runner(stop)


def send_queued(processes: int = 1, log_level: int | None = None) -> tuple[int, int, int]:
    """Deliver one batch per process; returns ``(sent, failed, requeued)``."""
    return dispatch(until_done=False, processes=processes, log_level=log_level).as_tuple()


def send_queued_until_done(processes: int = 1, log_level: int | None = None,
                           progress: bool = False) -> tuple[int, int, int]:
    """Deliver until nothing is due; returns ``(sent, failed, requeued)``."""
    callback = print_progress if progress else None
    return dispatch(processes=processes, log_level=log_level, on_progress=callback).as_tuple()


def print_progress(tally: Tally, elapsed: float) -> None:
    print(progress_line(tally, elapsed), flush=True)


def progress_line(tally: Tally, elapsed: float) -> str:
    """``sent 1200, failed 3, requeued 0, remaining 8800, 240.0 emails/s`` (one COUNT query)."""
    rate = tally.sent / elapsed if elapsed else 0.0
    remaining = Email.objects.due().count()
    return (f"sent {tally.sent}, failed {tally.failed}, requeued {tally.requeued}, "
            f"remaining {remaining}, {rate:.1f} emails/s")


def deliver_now(email: Email, log_level: int | None = None, connection=None, commit: bool = True) -> int:
    """Deliver one email immediately (``priority='now'``, ``Email.dispatch()``); returns its status.

    If another dispatcher already holds it, leave it to that one and return its current status.
    """
    # mail.send(priority='now') saves the email already claimed and hands us that token; any
    # other caller claims here, so an email another dispatcher holds is never sent twice.
    token = email.__dict__.pop("_claimed_by_send", None)
    if token is None:
        token = new_lease_token()
        if not claim_one(email, token):
            email.refresh_from_db(fields=["status"])
            return email.status
    email.lease_token = token
    results = list(deliver([email], threads=1, deadline=time.monotonic() + 3600, connection=connection))
    record(results, _log_level(log_level), RetryPolicy.from_settings())
    return email.status if email.status is not None else STATUS.queued
