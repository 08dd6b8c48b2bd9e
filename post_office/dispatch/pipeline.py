"""One dispatcher run: claim ahead, deliver, record, in an overlapping pipeline.

The main thread claims and records; the delivery threads of a :class:`~.pool.DeliveryPool` only
send. When the threads' backlog runs low, the next batch is claimed while they are still sending
the current one, and results are recorded while they keep sending, so the backend connections
(kept open for the whole run) are never idle waiting for the database.

Guarantees kept from the batch-at-a-time design:

- Duplicate window: a thread takes a permit before each send and gets it back only when the
  result is committed; the window holds ``RESULTS_FLUSH_SIZE + THREADS_PER_PROCESS`` permits.
- Leases: every batch with an email not yet recorded (queued for a thread, being sent, or
  awaiting its record) is renewed every third of ``LEASE_DURATION``.
- ``BATCH_DELIVERY_TIMEOUT`` counts from each batch's claim; what was not started by then goes
  back to the queue. A batch that only gave its emails back ends the run (no spinning on them).
- ``stop`` (the first SIGTERM): no more claims; emails being sent finish and are recorded, the
  ones not started are released.
- No transaction is open while a backend talks: claims and records are short and happen in the
  main thread, between the results it collects.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django import db
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db import connection as db_connection

from ..conf import post_office_settings
from ..suppression import refused as refused_recipients
from .claim import claim_batch, new_lease_token, renew
from .deliver import DeliveryResult
from .pool import DeliveryPool
from .record import Tally, record
from .retry import RetryPolicy

logger = logging.getLogger("post_office")

# The main thread wakes up at least this often to notice stuck sends and record slow ones.
TICK_SECONDS = 0.5

# A send still running this long after its batch's deadline (a backend without a timeout) is
# abandoned: the run ends without waiting for it, and its email keeps its lease until that expires.
HANG_GRACE_SECONDS = 60.0

# On shutdown, how long sends in progress may take to finish so that their outcome is recorded.
SHUTDOWN_WAIT_SECONDS = 10.0


def replace_stale_connection() -> None:
    """Drop the database connection if it broke, or outlived a CONN_MAX_AGE that is set.

    ``close_old_connections()`` is meant for request boundaries: with Django's default
    CONN_MAX_AGE = 0 it closes every time, which here meant a new connection (and a new server
    process on PostgreSQL, about 5 ms) per batch. A dispatcher run counts as one request: it
    keeps its connection unless that connection failed or a positive CONN_MAX_AGE ran out.
    """
    if db_connection.in_atomic_block:
        return
    if db_connection.settings_dict["CONN_MAX_AGE"] != 0:
        db.close_old_connections()
    elif db_connection.connection is not None and db_connection.errors_occurred and not db_connection.is_usable():
        db_connection.close()


def claim_with_fresh_connection(batch_size: int) -> tuple[str, list]:
    """A new lease token and the emails ``claim_batch`` claimed for it, on a usable connection.

    A connection the server dropped since the last batch (a restart, a failover, an idle
    timeout) fails on first use: it is replaced and the claim tried once more, under a new
    token, so rows the failed attempt may have stamped are not renewed by this run and return
    to the queue when their lease expires.
    """
    replace_stale_connection()
    token = new_lease_token()
    try:
        return token, claim_batch(token, batch_size)
    except (OperationalError, InterfaceError) as exc:
        if db_connection.in_atomic_block:
            raise
        logger.warning("Claim failed on the database connection (%s); retrying once on a new one.", exc)
        db_connection.close()
        token = new_lease_token()
        return token, claim_batch(token, batch_size)


class LeaseKeeper:
    """Renews the leases of ``tokens`` from a side thread (its own database connection)."""

    def __init__(self) -> None:
        self.tokens: tuple[str, ...] = ()  # replaced whole by the owner: no lock needed
        self.interval = max(post_office_settings.lease_duration / 3, 0.2)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="post_office-lease", daemon=True)

    def _run(self) -> None:
        try:
            while not self._done.wait(self.interval):
                tokens = self.tokens
                try:
                    renew(list(tokens))
                except DatabaseError as exc:  # the next renewal may succeed; the lease has slack
                    logger.warning("Could not renew leases %s: %s", ", ".join(tokens), exc)
        finally:
            db.connections.close_all()  # this thread's connection only

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


@dataclass
class _Batch:
    unresolved: int  # claimed emails without a result yet
    progressed: bool = False  # at least one was attempted (sent, failed or requeued)


class Pipeline:
    """Claims batches (at most ``max_batches``; None: until nothing is due) and delivers them."""

    def __init__(self, log_level: int | None = None, stop: threading.Event | None = None,
                 batch_size: int | None = None, max_batches: int | None = None,
                 on_flush: Callable[[Tally], None] | None = None) -> None:
        settings = post_office_settings
        self.level = settings.log_level if log_level is None else log_level
        self.policy = RetryPolicy.from_settings()
        self.stop = stop or threading.Event()
        self.batch_size = batch_size or settings.batch_size
        self.max_batches = max_batches
        self.on_flush = on_flush
        self.flush_size = settings.results_flush_size
        # Results taken before a write starts: less than flush_size by about what the threads
        # send while a write runs (see _flush), so that they do not run out of permits meanwhile.
        self.flush_at = self.flush_size
        self.last_flush_end = time.monotonic()
        self.timeout = settings.batch_delivery_timeout
        threads = settings.threads_per_process
        # Claim the next batch while the threads still have this much to send: enough to cover
        # the claim's own time, little enough to keep memory at about two batches.
        self.low_water = max(2 * threads, self.batch_size // 2)
        self.window = threading.Semaphore(self.flush_size + threads)
        self.pool = DeliveryPool(threads, self.stop, self.window)
        self.keeper = LeaseKeeper()
        self.tally = Tally()
        self.batches: dict[str, _Batch] = {}
        self.pending: list[DeliveryResult] = []
        self.outstanding = 0  # claimed emails without a result
        self.claimed = 0
        self.exhausted = False
        self.found_empty = False  # the last claim found nothing while results were outstanding

    def run(self) -> Tally:
        with self.keeper:
            try:
                self._loop()
            except BaseException:
                # Also on errors and KeyboardInterrupt: what was sent gets recorded if it can be;
                # whatever is not recorded waits for its lease to expire.
                self._shut_down(reraising=True)
                raise
            self._shut_down(reraising=False)
        logger.info("Dispatcher run done: %d sent, %d failed, %d requeued, %d released.",
                    self.tally.sent, self.tally.failed, self.tally.requeued, self.tally.released)
        return self.tally

    def _loop(self) -> None:
        while True:
            if len(self.pending) >= self.flush_at or (self.pending and not self.outstanding):
                self._flush()
            self._claim_ahead()
            if not self.outstanding:
                if self._claiming_over():
                    return
                continue
            # Wake for a write's worth of results, or to claim ahead. A write takes no more than
            # its worth, so that the threads keep sending on the permits it gives back.
            room = max(self.flush_at - len(self.pending), 1)
            self.pool.wake_when(results=room, backlog=self.low_water if self._may_claim_ahead() else 0)
            woken = self.pool.wait(TICK_SECONDS)
            for result in self.pool.take(room):
                self._take(result)
            if woken:
                continue
            stuck = self.pool.stuck(HANG_GRACE_SECONDS)
            if stuck:
                logger.warning("%d delivery thread(s) still sending %.0f s after their batch deadline "
                               "(emails %s); ending this run, their emails keep their lease until it "
                               "expires.", len(stuck), HANG_GRACE_SECONDS, [e.pk for e in stuck])
                return
            if self.pending:  # slow sends: record what is in hand rather than wait for a full flush
                self._flush()

    def _shut_down(self, reraising: bool) -> None:
        for result in self.pool.close(SHUTDOWN_WAIT_SECONDS):
            self._take(result)
        if not self.pending:
            return
        try:
            self._flush()
        except DatabaseError:
            if not reraising:
                raise
            logger.exception("Could not record %d delivery results while stopping on an error; "
                             "their emails return to the queue when their lease expires.", len(self.pending))

    def _claiming_over(self) -> bool:
        return (self.exhausted or self.stop.is_set()
                or (self.max_batches is not None and self.claimed >= self.max_batches))

    def _may_claim_ahead(self) -> bool:
        # After a claim that found nothing, look again once all is recorded: a retry due at once
        # may be among it.
        return not (self._claiming_over() or (self.found_empty and (self.outstanding or self.pending)))

    def _claim_ahead(self) -> None:
        if not self._may_claim_ahead() or (self.outstanding and self.pool.backlog() > self.low_water):
            return
        token, emails = claim_with_fresh_connection(self.batch_size)
        self.claimed += 1
        if not emails:
            self.exhausted = not (self.outstanding or self.pending)
            self.found_empty = True
            return
        self.found_empty = False
        deadline = time.monotonic() + self.timeout
        self.batches[token] = _Batch(unresolved=len(emails))
        self.outstanding += len(emails)
        self.keeper.tokens = tuple(self.batches)
        refused = refused_recipients(emails)  # SUPPRESS_BOUNCED: one query per batch, none when off
        for email in emails:
            if email.pk in refused:
                self._take(DeliveryResult(email, refused[email.pk]))
        self.pool.submit([email for email in emails if email.pk not in refused], deadline)

    def _take(self, result: DeliveryResult) -> None:
        batch = self.batches.get(result.email.lease_token)
        if batch is None:  # cannot happen: every email comes from a claim of this run
            logger.error("Result for email %s of an unknown claim ignored.", result.email.pk)
            return
        batch.unresolved -= 1
        self.outstanding -= 1
        batch.progressed = batch.progressed or result.attempted
        if not batch.unresolved and not batch.progressed:
            # It only gave its emails back (deadline or stop): claiming again at once would spin.
            self.exhausted = True
        self.pending.append(result)

    def _flush(self) -> None:
        results = self.pending
        started = time.monotonic()
        self.tally.add(record(results, self.level, self.policy))
        self.pending = []  # only now: if recording failed, stopping tries these again
        permits = sum(1 for result in results if result.holds_permit)
        if permits:
            self.window.release(permits)
        for token in [token for token, batch in self.batches.items() if not batch.unresolved]:
            del self.batches[token]  # all recorded: nothing left to renew
        self.keeper.tokens = tuple(self.batches)
        self._plan_next_flush(len(results), started)
        if self.on_flush is not None:
            self.on_flush(self.tally)

    def _plan_next_flush(self, recorded: int, started: float) -> None:
        """Start the next write early by what the threads send while one runs.

        The window (flush_size + threads permits) bounds sent-but-unrecorded emails. A write
        started at exactly flush_size results left one spare permit per thread while it ran: on
        PostgreSQL a 100-result write takes ~10 ms, one connection sends ~6 emails meanwhile, and
        the threads spent 4 % of a run waiting for permits. The sends during the next write are
        estimated from the last write's duration and the rate results came in before it; writes
        start at least half full, so statements per email barely move (~1.1 writes per batch).
        """
        ended = time.monotonic()
        collecting = started - self.last_flush_end
        self.last_flush_end = ended
        if recorded < self.flush_at or collecting <= 0:
            return  # a partial write (end of the queue, slow sends): no rate to learn from
        sends_during_write = recorded / collecting * (ended - started)
        self.flush_at = max(self.flush_size - math.ceil(sends_during_write), math.ceil(self.flush_size / 2), 1)
