"""Delivery threads that outlive a batch: each keeps its backend connections open for the whole
dispatcher run, so claiming and recording (in the dispatcher's main thread) never leave them idle
and no batch pays for reconnecting."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial

from django import db

from ..models import Email
from .deliver import Connections, DeliveryResult, Prepared, prepare, send_guarded

logger = logging.getLogger("post_office")

# A thread that waited this long for work closes its connections: servers drop idle clients,
# and a dispatcher stalled on its database should not hold SMTP sessions meanwhile.
IDLE_CLOSE_SECONDS = 5.0

# How often a thread waiting for a permit re-checks stop, shutdown and its email's deadline.
PERMIT_POLL_SECONDS = 0.1


# In DeliveryPool._ahead: the thread took nothing ahead of its turn.
_NOTHING = object()


@dataclass
class Job:
    email: Email
    deadline: float  # time.monotonic() after which the email is no longer started
    prepared: Prepared | None = field(default=None, repr=False)  # built ahead of its turn


class DeliveryPool:
    """``threads`` delivery threads fed from one queue; results come back on :meth:`get`.

    ``window``: a thread takes a permit before each send and the caller gives it back (for every
    result with ``holds_permit``) once the result is recorded, so the window's size bounds the
    messages a server may have accepted that the database does not know about yet.

    An email not started before its ``deadline``, before ``stop`` is set or before :meth:`close`
    comes back with ``attempted=False``.

    While an SMTP server digests a message, its thread takes its next job and builds that message:
    building no longer holds up the conversation, on the one path (a single connection) where
    nothing else fills the gap.

    Results pile up until the caller has a reason to look (:meth:`wake_when`) instead of waking
    it for each one: a wake-up is a handover of the GIL and of a core, and one per email cost a
    single connection about a tenth of its rate (its thread waited for the GIL to come back
    while the caller took each result).
    """

    def __init__(self, threads: int, stop: threading.Event, window: threading.Semaphore) -> None:
        self.stop, self.window = stop, window
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._results: deque[DeliveryResult] = deque()  # appends and pops are atomic
        self._ready = threading.Event()  # set when the caller should take results
        self._wake_at_results = 1
        self._wake_at_backlog = 0
        self._quit = threading.Event()
        self._sending: dict[int, Job] = {}  # thread number -> the job it is sending now
        self._ahead: dict[int, Job | None] = {}  # thread number -> the job it took ahead of its turn
        self._ahead_lock = threading.Lock()  # a job is in the queue or in _ahead whenever close() looks
        self._threads = [threading.Thread(target=self._work, args=(n,), name=f"post_office-{n}", daemon=True)
                         for n in range(threads)]
        self._started = False

    def submit(self, emails: list[Email], deadline: float) -> None:
        for email in emails:
            self._jobs.put(Job(email, deadline))
        if not self._started:  # lazily: a run that finds nothing to send starts no thread
            self._started = True
            for thread in self._threads:
                thread.start()

    def backlog(self) -> int:
        """Emails waiting for a thread (approximate, as any queue size read by another thread)."""
        return self._jobs.qsize()

    def wake_when(self, results: int, backlog: int) -> None:
        """Make :meth:`wait` return once ``results`` results wait to be taken, or once at most
        ``backlog`` emails wait for a thread (a thread finishing its last email always counts)."""
        self._wake_at_results, self._wake_at_backlog = max(results, 1), max(backlog, 0)
        self._wake_if_due()  # results taken short of all may already be enough

    def _wake_if_due(self) -> None:
        waiting = len(self._results)
        if waiting and (waiting >= self._wake_at_results or self._jobs.qsize() <= self._wake_at_backlog):
            self._ready.set()

    def wait(self, timeout: float) -> bool:
        """Wait until there is a reason to take results (see :meth:`wake_when`); False if
        ``timeout`` seconds passed without one."""
        woken = self._ready.wait(timeout)
        self._ready.clear()  # before taking: a result added from now on sets it again
        return woken

    def take(self, limit: int | None = None) -> list[DeliveryResult]:
        """The results that came in and were not taken yet, oldest first: all, or ``limit``."""
        count = len(self._results) if limit is None else min(limit, len(self._results))
        return [self._results.popleft() for _ in range(count)]

    def stuck(self, grace: float) -> list[Email]:
        """Emails still being sent ``grace`` seconds after their deadline (a backend without a
        timeout): the caller stops waiting for them."""
        limit = time.monotonic() - grace
        return [job.email for job in list(self._sending.values()) if job.deadline < limit]

    def close(self, wait: float) -> list[DeliveryResult]:
        """Stop the threads and return every result not yet taken with :meth:`take`, plus one
        ``attempted=False`` result per email no thread started.

        Sends in progress get ``wait`` seconds to finish; a thread still sending after that is
        abandoned (it is a daemon) and its email gets no result: it keeps its lease until that
        expires.
        """
        self._quit.set()
        if self._started:
            for _thread in self._threads:
                self._jobs.put(None)
            until = time.monotonic() + wait
            for thread in self._threads:
                thread.join(max(until - time.monotonic(), 0))
        leftovers = self.take()
        with self._ahead_lock:
            for number, thread in enumerate(self._threads):
                job = self._ahead.get(number)
                if job is not None and thread.is_alive():  # abandoned with a job it had not started
                    del self._ahead[number]
                    leftovers.append(DeliveryResult(job.email, attempted=False))
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    leftovers.append(DeliveryResult(job.email, attempted=False))
        for thread in self._threads:
            if thread.is_alive():  # abandoned: once its send returns, it finds its way out
                self._jobs.put(None)
        return leftovers

    def _may_start(self, job: Job) -> bool:
        return not (self.stop.is_set() or self._quit.is_set()) and time.monotonic() < job.deadline

    def _work(self, number: int) -> None:
        connections = Connections()
        token = None
        try:
            while True:
                with self._ahead_lock:
                    job = self._ahead.pop(number, _NOTHING)
                if job is _NOTHING:
                    try:
                        job = self._jobs.get(timeout=IDLE_CLOSE_SECONDS)
                    except queue.Empty:
                        connections.close()
                        continue
                if job is None:
                    break
                if job.email.lease_token != token:  # a new batch: a backend that was down gets retried
                    token = job.email.lease_token
                    connections.forget_failures()
                self._results.append(self._deliver(number, job, connections))
                self._wake_if_due()
        finally:
            connections.close()
            db.connections.close_all()  # this thread's database connections, if it opened any

    def _take_ahead(self, number: int, connections: Connections) -> None:
        """Take thread ``number``'s next job now and build its message (once per send)."""
        with self._ahead_lock:
            if number in self._ahead or self._quit.is_set():
                return
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            self._ahead[number] = job
        if job is not None:
            job.prepared = prepare(job.email, connections)

    def _deliver(self, number: int, job: Job, connections: Connections) -> DeliveryResult:
        while not self.window.acquire(timeout=PERMIT_POLL_SECONDS):
            if not self._may_start(job):
                return DeliveryResult(job.email, attempted=False)
        if not self._may_start(job):
            self.window.release()
            return DeliveryResult(job.email, attempted=False)
        self._sending[number] = job
        try:
            result = send_guarded(job.email, connections, job.prepared,
                                  partial(self._take_ahead, number, connections))
        finally:
            del self._sending[number]
        result.holds_permit = True
        return result
