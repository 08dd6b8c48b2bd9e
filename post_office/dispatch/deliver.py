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

from django.core.mail import get_connection

from ..conf import post_office_settings
from ..models import Email
from ..rendering.message import build_message

logger = logging.getLogger("post_office")

# Errors after which the connection is unusable: reopen it and try the same email once more.
CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, TimeoutError)


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

    def get(self, alias: str):
        if alias not in self._open:
            self._open[alias] = self._opener(alias)
        return self._open[alias]

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
    try:
        message = build_message(email, attachments=email.attachments.all())
    except Exception as exc:  # noqa: BLE001 - any rendering failure is this email's failure
        return DeliveryResult(email, exc)
    for attempt in (1, 2):
        try:
            message.connection = connections.get(alias)
            if message.send() == 0:  # None (some ESP backends) means "no count", not failure
                return DeliveryResult(email, NothingSent(f"backend {alias!r} reported no message sent"))
            return DeliveryResult(email)
        except CONNECTION_ERRORS as exc:
            connections.discard(alias)
            if attempt == 2:
                return DeliveryResult(email, exc)
            logger.info("Connection to backend %r dropped (%s); reopening for email %s.", alias, exc, email.pk)
        except Exception as exc:  # noqa: BLE001 - a backend may raise anything; record it
            if isinstance(exc, OSError):
                connections.discard(alias)
            return DeliveryResult(email, exc)
    raise AssertionError("unreachable")


def deliver(emails: list[Email], threads: int, deadline: float, stop: threading.Event | None = None,
            connection=None) -> Iterator[DeliveryResult]:
    """Yield one result per email as deliveries finish; emails not started by ``deadline``
    (``time.monotonic()``) or before ``stop`` is set come back with ``attempted=False``.

    ``connection`` (a backend instance) forces every email through it, in this thread.
    """
    stop = stop or threading.Event()
    if connection is not None or threads <= 1 or len(emails) <= 1:
        yield from _deliver_inline(emails, deadline, stop, connection)
        return
    work: queue.SimpleQueue[Email] = queue.SimpleQueue()
    for email in emails:
        work.put(email)
    results: queue.SimpleQueue[DeliveryResult | None] = queue.SimpleQueue()

    def worker() -> None:
        connections = Connections()
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    email = work.get_nowait()
                except queue.Empty:
                    break
                results.put(send_one(email, connections))
        finally:
            connections.close()
            results.put(None)

    pool = [threading.Thread(target=worker, name=f"post_office-{n}", daemon=True)
            for n in range(min(threads, len(emails)))]
    for thread in pool:
        thread.start()
    running = len(pool)
    while running:
        item = results.get()
        if item is None:
            running -= 1
        else:
            yield item
    while True:
        try:
            yield DeliveryResult(work.get_nowait(), attempted=False)
        except queue.Empty:
            break


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
