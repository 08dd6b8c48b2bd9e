"""Sending one email over a thread's reusable backend connection, and what came of it."""

from __future__ import annotations

import logging
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.mail import EmailMessage, get_connection

from ..conf import post_office_settings
from ..models import Email
from ..rendering.message import build_message
from ..suppression import refused as refused_recipients
from .claim import HAS_ATTACHMENTS
from .smtp import Envelope, envelope_of, is_stock_smtp, send_smtp, with_random_boundaries

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
    # Sent under a permit of the duplicate window: the dispatcher gives it back once recorded.
    holds_permit: bool = field(default=False, repr=False)

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

    def forget_failures(self) -> None:
        """A new batch: give backends that looked down another chance."""
        self._open_failures.clear()
        self._last_error.clear()

    def peek(self, alias: str):
        """The open connection for ``alias``, or None; opens nothing."""
        return self._open.get(alias)

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


@dataclass
class Prepared:
    """An email's message, built before its turn to be sent (or the error building it raised)."""

    message: EmailMessage | None = None
    envelope: Envelope | None = None  # for Django's SMTP backend; None: worked out when sent
    error: Exception | None = None


def prepare(email: Email, connections: Connections) -> Prepared:
    """Build ``email``'s message, and its SMTP envelope when its backend's connection is
    Django's SMTP backend, open already; never raises."""
    try:
        # The claim prefetched attachments only for emails that have some; the rest need no query.
        has_any = getattr(email, HAS_ATTACHMENTS, True)
        message = build_message(email, attachments=email.attachments.all() if has_any else ())
        _build_with_random_boundaries(message)
        if is_stock_smtp(connections.peek(email.backend_alias or "default")):
            return Prepared(message, envelope_of(message))
    except Exception as exc:  # noqa: BLE001 - any rendering failure is this email's failure
        return Prepared(error=exc)
    return Prepared(message)


def send_one(email: Email, connections: Connections, prepared: Prepared | None = None,
             while_waiting: Callable[[], None] | None = None) -> DeliveryResult:
    """Build (unless ``prepared``) and send ``email`` over the thread's connection; never raises.

    ``while_waiting`` runs (at most once) while an SMTP server digests the message; see
    :func:`~post_office.dispatch.smtp.send_smtp`.
    """
    alias = email.backend_alias or "default"
    down = connections.unreachable(alias)
    if down is not None:
        # Counted as an attempt (the retry policy decides), so a dead server cannot loop a batch.
        return DeliveryResult(email, down)
    prepared = prepared or prepare(email, connections)
    if prepared.error is not None:
        return DeliveryResult(email, prepared.error)
    for attempt in range(1, CONNECTION_ATTEMPTS + 1):
        try:
            sent = _send(prepared, connections.get(alias), while_waiting)
            if sent is not None and not sent:  # None (some ESP backends) means "no count", not failure
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


def _send(prepared: Prepared, connection, while_waiting: Callable[[], None] | None) -> int | bool | None:
    """Send the prepared message over ``connection``: the number sent (or a bool, or None when a
    backend does not say)."""
    message = prepared.message
    if is_stock_smtp(connection):
        if prepared.envelope is None:
            prepared.envelope = envelope_of(message)
        return send_smtp(connection, message, prepared.envelope, while_waiting)
    message.connection = connection
    return message.send()


def _build_with_random_boundaries(message: EmailMessage) -> None:
    """Make ``message.message()`` (which any backend may call) set random boundaries."""
    build = message.message
    message.message = lambda *args, **kwargs: with_random_boundaries(build(*args, **kwargs))


def deliver(emails: list[Email], deadline: float, stop: threading.Event | None = None,
            connection=None) -> Iterator[DeliveryResult]:
    """Deliver ``emails`` one after another in this thread, yielding one result per email.

    For ``priority='now'`` and ``Email.dispatch()``; batches go through
    :class:`~post_office.dispatch.pool.DeliveryPool`. Emails not started by ``deadline``
    (``time.monotonic()``) or before ``stop`` is set come back with ``attempted=False``.
    ``connection`` (a backend instance) forces every email through it.
    """
    stop = stop or threading.Event()
    refused = refused_recipients(emails)  # SUPPRESS_BOUNCED: one query per call, none when off
    connections = Connections(opener=(lambda alias: connection) if connection is not None else None)
    try:
        for email in emails:
            if email.pk in refused:
                yield DeliveryResult(email, refused[email.pk])
            elif stop.is_set() or time.monotonic() >= deadline:
                yield DeliveryResult(email, attempted=False)
            else:
                yield send_one(email, connections)
    finally:
        if connection is None:
            connections.close()


def send_guarded(email: Email, connections: Connections, prepared: Prepared | None = None,
                 while_waiting: Callable[[], None] | None = None) -> DeliveryResult:
    """``send_one``, turning even an unexpected crash into this email's result, so no email a
    thread took is left without an outcome."""
    try:
        return send_one(email, connections, prepared, while_waiting)
    except BaseException as exc:  # noqa: BLE001 - recorded as the email's failure
        logger.exception("Delivery thread crashed on email %s.", email.pk)
        return DeliveryResult(email, exc)
