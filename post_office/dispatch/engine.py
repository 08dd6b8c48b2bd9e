"""The engine every entry point shares: ``send_queued_mail``, ``mail.send_queued()``, the
Celery tasks and ``priority='now'``.

A run (:class:`~.pipeline.Pipeline`): claim a batch (one short statement) -> deliver it (no
transaction open; delivery threads keep one connection each open for the whole run) -> record
(bulk, every ``RESULTS_FLUSH_SIZE`` results), overlapped: the next batch is claimed and results
are recorded in the main thread while the threads keep sending. Leases of every batch not yet
recorded are renewed every third of ``LEASE_DURATION``, so only a dead dispatcher loses its claim.

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

from ..conf import post_office_settings
from ..models import STATUS, Email
from .claim import claim_one, new_lease_token
from .deliver import deliver
from .pipeline import Pipeline
from .processes import run_in_processes
from .record import Tally, record
from .retry import RetryPolicy
from .shutdown import graceful_stop

logger = logging.getLogger("post_office")

ProgressCallback = Callable[[Tally, float], None]


def _log_level(log_level: int | None) -> int:
    return post_office_settings.log_level if log_level is None else log_level


def run_batch(log_level: int | None = None, stop: threading.Event | None = None,
              batch_size: int | None = None) -> Tally:
    """Claim one batch, deliver it and record the outcome. An empty Tally means nothing was due."""
    return Pipeline(log_level, stop, batch_size=batch_size, max_batches=1).run()


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
    ``on_batch(total)`` after every write of results (about every ``RESULTS_FLUSH_SIZE`` emails).
    """
    throttle = _Throttle(on_progress, progress_every)

    def flushed(total: Tally) -> None:
        if on_batch:
            on_batch(total)
        throttle(total)

    return Pipeline(log_level, stop, on_flush=flushed).run()


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
    results = list(deliver([email], deadline=time.monotonic() + 3600, connection=connection))
    record(results, _log_level(log_level), RetryPolicy.from_settings())
    return email.status if email.status is not None else STATUS.queued
