"""Sending a claimed batch: threads, one backend connection per thread reused for the batch."""

from __future__ import annotations

import logging
import queue
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django import db
from django.core.mail import get_connection

from ..conf import post_office_settings
from ..models import Email
from ..rendering.message import build_message
from ..suppression import refused as refused_recipients

logger = logging.getLogger("post_office")

# Errors after which the connection is unusable: reopen it and try the same email once more.
CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, TimeoutError)

# Tries per email when the connection fails under it (dropped, refused, timed out): each on a
# fresh connection, so one bad connection does not spend the email's retry budget.
CONNECTION_ATTEMPTS = 3

# Consecutive failures to open a connection after which a thread stops trying that backend for
# the rest of its batch: a server that is down should cost two connection attempts, not 2 per email.
OPEN_FAILURES_BEFORE_GIVING_UP = 2


class NothingSent(Exception):
    """The backend returned without error but said it sent nothing (e.g. no valid recipient)."""


@dataclass
class DeliveryResult:
    email: Email
    error: BaseException | None = None
    attempted: bool = True  # False: never tried (deadline or shutdown), goes back to the queue

    @property
    def sent(self) -> bool:
        return self.attempted and self.error is None


class Connections:
    """One open backend connection per alias, for the thread that owns this object."""

    def __init__(self, opener: Callable[[str], object] | None = None) -> None:
        self._opener = opener or open_connection
        self._open: dict[str, object] = {}
        self._open_failures: dict[str, int] = {}
        self._last_error: dict[str, BaseException] = {}

    def get(self, alias: str):
        if alias not in self._open:
            try:
                self._open[alias] = self._opener(alias)
            except BaseException as exc:
                self._open_failures[alias] = self._open_failures.get(alias, 0) + 1
                self._last_error[alias] = exc
                raise
            self._open_failures[alias] = 0
        return self._open[alias]

    def unreachable(self, alias: str) -> BaseException | None:
        """The error that makes ``alias`` look down for this batch, or None."""
        if self._open_failures.get(alias, 0) >= OPEN_FAILURES_BEFORE_GIVING_UP:
            return self._last_error.get(alias)
        return None

    def discard(self, alias: str) -> None:
        connection = self._open.pop(alias, None)
        if connection is not None:
            _close_quietly(connection)

    def close(self) -> None:
        for alias in list(self._open):
            self.discard(alias)


def open_connection(alias: str):
    connection = get_connection(post_office_settings.backend_path(alias))
    connection.open()
    return connection


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except (OSError, smtplib.SMTPException) as exc:  # closing a dead socket is not news
        logger.debug("Closing a backend connection failed: %s", exc)


def send_one(email: Email, connections: Connections) -> DeliveryResult:
    """Build and send ``email`` over the thread's connection; never raises."""
    alias = email.backend_alias or "default"
    down = connections.unreachable(alias)
    if down is not None:
        # Counted as an attempt (the retry policy decides), so a dead server cannot loop a batch.
        return DeliveryResult(email, down)
    try:
        message = build_message(email, attachments=email.attachments.all())
    except Exception as exc:  # noqa: BLE001 - any rendering failure is this email's failure
        return DeliveryResult(email, exc)
    for attempt in range(1, CONNECTION_ATTEMPTS + 1):
        try:
            message.connection = connections.get(alias)
            if message.send() == 0:  # None (some ESP backends) means "no count", not failure
                return DeliveryResult(email, NothingSent(f"backend {alias!r} reported no message sent"))
            return DeliveryResult(email)
        except CONNECTION_ERRORS as exc:
            connections.discard(alias)
            if attempt == CONNECTION_ATTEMPTS or connections.unreachable(alias) is not None:
                return DeliveryResult(email, exc)
            logger.info("Connection to backend %r dropped (%s); reopening for email %s.", alias, exc, email.pk)
        except Exception as exc:  # noqa: BLE001 - a backend may raise anything; record it
            if isinstance(exc, OSError):
                connections.discard(alias)
            return DeliveryResult(email, exc)
    raise AssertionError("unreachable")


def deliver(emails: list[Email], threads: int, deadline: float, stop: threading.Event | None = None,
            connection=None, window: threading.Semaphore | None = None,
            hang_grace: float = 60.0) -> Iterator[DeliveryResult]:
    """Yield one result per email as deliveries finish.

    Emails not started by ``deadline`` (``time.monotonic()``) or before ``stop`` is set come back
    with ``attempted=False``. ``connection`` (a backend instance) forces every email through it,
    in this thread.

    ``window``: a thread takes a permit before each send; the caller releases one per attempted
    result once it is recorded. Its size therefore bounds the messages a server may have accepted
    that the database does not know about yet (the duplicate window after a crash).

    A send still running ``hang_grace`` seconds after ``deadline`` (a backend without a timeout) is
    abandoned: no result is yielded for it, so its email keeps its lease until that expires.
    """
    stop = stop or threading.Event()
    refused = refused_recipients(emails)  # SUPPRESS_BOUNCED: one query per batch, none when off
    for email in emails:
        if email.pk in refused:
            if window is not None:
                window.acquire()  # the caller gives one back per attempted result
            yield DeliveryResult(email, refused[email.pk])
    emails = [email for email in emails if email.pk not in refused]
    if connection is not None or threads <= 1 or len(emails) <= 1:
        yield from _deliver_inline(emails, deadline, stop, connection)
        return
    work: queue.SimpleQueue[Email] = queue.SimpleQueue()
    for email in emails:
        work.put(email)
    results: queue.SimpleQueue[DeliveryResult | None] = queue.SimpleQueue()
    quit_now = threading.Event()  # set when the caller stops waiting: threads leave at once

    def may_continue() -> bool:
        return not (stop.is_set() or quit_now.is_set()) and time.monotonic() < deadline

    def worker() -> None:
        connections = Connections()
        try:
            while may_continue():
                try:
                    email = work.get_nowait()
                except queue.Empty:
                    break
                if window is not None:
                    while not window.acquire(timeout=0.1):
                        if not may_continue():
                            break
                    else:
                        results.put(_send_guarded(email, connections))
                        continue
                    results.put(DeliveryResult(email, attempted=False))
                    break
                results.put(_send_guarded(email, connections))
        finally:
            connections.close()
            db.connections.close_all()  # this thread's database connections, if it opened any
            results.put(None)

    pool = [threading.Thread(target=worker, name=f"post_office-{n}", daemon=True)
            for n in range(min(threads, len(emails)))]
    for thread in pool:
        thread.start()
    running = len(pool)
    try:
        while running:
            try:
                item = results.get(timeout=max(deadline + hang_grace - time.monotonic(), 0.01))
            except queue.Empty:
                if time.monotonic() < deadline + hang_grace:
                    continue
                logger.warning("%d delivery thread(s) still busy %.0f s after the batch deadline; "
                               "their emails keep their lease until it expires.", running, hang_grace)
                break
            if item is None:
                running -= 1
            else:
                yield item
    finally:
        # Also when the caller stops listening (e.g. recording failed): no sends nobody records.
        quit_now.set()
    while True:
        try:
            yield DeliveryResult(work.get_nowait(), attempted=False)
        except queue.Empty:
            break


def _send_guarded(email: Email, connections: Connections) -> DeliveryResult:
    """``send_one``, turning even an unexpected crash into this email's result, so no email a
    thread took is left without an outcome."""
    try:
        return send_one(email, connections)
    except BaseException as exc:  # noqa: BLE001 - recorded as the email's failure
        logger.exception("Delivery thread crashed on email %s.", email.pk)
        return DeliveryResult(email, exc)


def _deliver_inline(emails, deadline, stop, connection) -> Iterator[DeliveryResult]:
    connections = Connections(opener=(lambda alias: connection) if connection is not None else None)
    try:
        for email in emails:
            if stop.is_set() or time.monotonic() >= deadline:
                yield DeliveryResult(email, attempted=False)
                continue
            yield send_one(email, connections)
    finally:
        if connection is None:
            connections.close()
