"""Delivery threads that outlive a batch: each keeps its backend connections open for the whole
dispatcher run, so claiming and recording (in the dispatcher's main thread) never leave them idle
and no batch pays for reconnecting."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from django import db

from ..models import Email
from .deliver import Connections, DeliveryResult, send_guarded

logger = logging.getLogger("post_office")

# A thread that waited this long for work closes its connections: servers drop idle clients,
# and a dispatcher stalled on its database should not hold SMTP sessions meanwhile.
IDLE_CLOSE_SECONDS = 5.0

# How often a thread waiting for a permit re-checks stop, shutdown and its email's deadline.
PERMIT_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Job:
    email: Email
    deadline: float  # time.monotonic() after which the email is no longer started


class DeliveryPool:
    """``threads`` delivery threads fed from one queue; results come back on :meth:`get`.

    ``window``: a thread takes a permit before each send and the caller gives it back (for every
    result with ``holds_permit``) once the result is recorded, so the window's size bounds the
    messages a server may have accepted that the database does not know about yet.

    An email not started before its ``deadline``, before ``stop`` is set or before :meth:`close`
    comes back with ``attempted=False``.
    """

    def __init__(self, threads: int, stop: threading.Event, window: threading.Semaphore) -> None:
        self.stop, self.window = stop, window
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[DeliveryResult] = queue.SimpleQueue()
        self._quit = threading.Event()
        self._sending: dict[int, Job] = {}  # thread number -> the job it is sending now
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

    def get(self, timeout: float) -> DeliveryResult | None:
        """The next result, or None after ``timeout`` seconds without one."""
        try:
            return self._results.get(timeout=timeout)
        except queue.Empty:
            return None

    def stuck(self, grace: float) -> list[Email]:
        """Emails still being sent ``grace`` seconds after their deadline (a backend without a
        timeout): the caller stops waiting for them."""
        limit = time.monotonic() - grace
        return [job.email for job in list(self._sending.values()) if job.deadline < limit]

    def close(self, wait: float) -> list[DeliveryResult]:
        """Stop the threads and return every result not yet taken with :meth:`get`, plus one
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
        leftovers: list[DeliveryResult] = []
        while True:
            try:
                leftovers.append(self._results.get_nowait())
            except queue.Empty:
                break
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                leftovers.append(DeliveryResult(job.email, attempted=False))
        return leftovers

    def _may_start(self, job: Job) -> bool:
        return not (self.stop.is_set() or self._quit.is_set()) and time.monotonic() < job.deadline

    def _work(self, number: int) -> None:
        connections = Connections()
        token = None
        try:
            while True:
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
                self._results.put(self._deliver(number, job, connections))
        finally:
            connections.close()
            db.connections.close_all()  # this thread's database connections, if it opened any

    def _deliver(self, number: int, job: Job, connections: Connections) -> DeliveryResult:
        while not self.window.acquire(timeout=PERMIT_POLL_SECONDS):
            if not self._may_start(job):
                return DeliveryResult(job.email, attempted=False)
        if not self._may_start(job):
            self.window.release()
            return DeliveryResult(job.email, attempted=False)
        self._sending[number] = job
        try:
            result = send_guarded(job.email, connections)
        finally:
            del self._sending[number]
        result.holds_permit = True
        return result
