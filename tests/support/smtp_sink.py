"""A real SMTP server (aiosmtpd) for tests and benchmarks, with optional fault injection.

In-process: ``with SmtpSink() as sink: ... sink.messages``.
Own process: ``python -m tests.support.smtp_sink --port 0 --out DIR`` prints its port, then
appends one JSON line per accepted message to ``DIR/messages.jsonl``; on SIGTERM it writes its
connection counts to ``DIR/stats.json``.

Faults, decided per message by its ``X-Fault`` header (so tests choose which emails fail):
``451-once`` (temporary, then accepted), ``550`` (permanent), ``drop-once`` (connection dropped
mid-DATA, then accepted). ``refuse_every=N`` closes every Nth connection at once (before the
greeting, as a server at its connection limit does). An address whose local part starts with
``refused`` is refused with a 550 at MAIL FROM or RCPT TO, and ``closing@...`` gets a 421 there.

Every accepted message records the number of the connection it came on (``Received.connection``,
``"connection"`` in the JSON line), so tests can tell how many connections a dispatcher used;
``sink.connections`` counts connections (refused ones included), ``sink.refused`` the refused ones.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.support.waiting import wait_until


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    connection: int = 0
    peer: tuple | None = None  # (host, port) of the client: one per SMTP connection
    mail_options: list[str] = field(default_factory=list)  # ESMTP parameters of MAIL FROM, upper case

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


HOLD_LIMIT_SECONDS = 10
# How long start() gives aiosmtpd's thread to come up, and its probe connection to be counted.
START_SECONDS = 30


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    faulted: set[str] = field(default_factory=set)
    out: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0
    refused: int = 0
    delay: float = 0.0  # seconds before answering each DATA: a slow server, without blocking others
    # Set: each DATA waits for it before it is recorded and answered (10 s at most, then a 451),
    # so a test decides when the server lets go of a message instead of guessing at timing.
    hold: threading.Event | None = None

    def connection_opened(self, refuse_every: int) -> tuple[int, bool]:
        """Number the new connection; True when it is to be refused."""
        with self.lock:
            self.connections += 1
            number = self.connections
            refuse = bool(refuse_every) and number % refuse_every == 0
            self.refused += refuse
        return number, refuse

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        refusal = _refusal(address)
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = _refusal(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold is not None and not await asyncio.to_thread(self.hold.wait, HOLD_LIMIT_SECONDS):
            return "451 4.3.0 Held by the test and never released"
        raw = envelope.original_content or envelope.content
        # The headers alone: the sink is the benchmark's ceiling, and parsing the body as well cost
        # it a tenth of its CPU per message. Received.message parses the whole message for tests.
        parsed = BytesHeaderParser().parsebytes(raw)
        fault = (parsed.get("X-Fault") or "").strip()
        key = parsed.get("Message-ID") or parsed.get("Subject") or ""
        with self.lock:
            first_time = (fault, key) not in self.faulted
            self.faulted.add((fault, key))
        if fault == "550":
            return "550 5.7.1 Rejected by policy"
        if fault == "451-once" and first_time:
            return "451 4.3.0 Try again later"
        if fault == "drop-once" and first_time:
            server.transport.abort()  # the client sees the connection drop mid-DATA
            return "421 closing"
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), raw,
                            connection=getattr(server, "connection_number", 0),
                            peer=tuple(session.peer or ()), mail_options=list(envelope.mail_options))
        with self.lock:
            self.messages.append(received)
            if self.out:
                with open(os.path.join(self.out, "messages.jsonl"), "a") as handle:
                    handle.write(json.dumps({
                        "mail_from": received.mail_from, "rcpt_tos": received.rcpt_tos,
                        "message_id": parsed.get("Message-ID"), "subject": parsed.get("Subject"),
                        "pid": os.getpid(), "time": time.time(), "connection": received.connection,
                    }) + "\n")
        return "250 OK"


def _refusal(address: str) -> str | None:
    if address.startswith("refused"):
        return "550 5.1.1 Refused by the test sink"
    if address.startswith("closing@"):
        return "421 4.3.2 Closing down"
    return None


class FaultySMTP(SMTP):
    """aiosmtpd's server, numbering its connections and refusing every ``refuse_every``-th."""

    def __init__(self, handler, refuse_every: int = 0, **kwargs):
        super().__init__(handler, **kwargs)
        self.refuse_every = refuse_every
        self.connection_number = 0
        self.refused = False

    def connection_made(self, transport):
        # The counter lives on the handler: aiosmtpd builds one server object per connection.
        self.connection_number, self.refused = self.event_handler.connection_opened(self.refuse_every)
        if self.refused:
            transport.abort()
            return
        super().connection_made(transport)

    def connection_lost(self, error):
        if self.refused:  # never started a session: nothing to tear down
            return
        super().connection_lost(error)


class SinkController(Controller):
    """aiosmtpd's controller; with ``port=0`` it listens on a port the system picks at bind time
    (a port found free beforehand may be taken by another test process before the bind)."""

    def __init__(self, handler, refuse_every: int = 0, **kwargs):
        self.refuse_every = refuse_every
        super().__init__(handler, **kwargs)

    def factory(self):
        return FaultySMTP(self.handler, refuse_every=self.refuse_every, **self.SMTP_kwargs)

    def _create_server(self):
        if self.port:
            return super()._create_server()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self.hostname, 0))
        self.port = listener.getsockname()[1]  # read by start()'s probe and by SmtpSink.port
        return self.loop.create_server(self._factory_invoker, sock=listener, ssl=self.ssl_context)


class SmtpSink:
    """``with SmtpSink() as sink:`` a live server on 127.0.0.1:<sink.port>."""

    def __init__(self, refuse_every: int = 0, out: str | None = None, port: int = 0,
                 delay: float = 0.0, hold: threading.Event | None = None) -> None:
        self.handler = Handler(out=out, delay=delay, hold=hold)
        self.controller = SinkController(
            self.handler, refuse_every=refuse_every, hostname="127.0.0.1", port=port,
            data_size_limit=50 * 1024 * 1024, ready_timeout=START_SECONDS,
        )

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def connections(self) -> int:
        return self.handler.connections

    @property
    def refused(self) -> int:
        return self.handler.refused

    def start(self) -> SmtpSink:
        self.controller.start()
        # Forget aiosmtpd's own start-up probe: it is counted once its connection is made, which
        # on a loaded machine may come after start() returns.
        wait_until(lambda: self.handler.connections >= 1, START_SECONDS, interval=0.01)
        with self.handler.lock:
            self.handler.connections = self.handler.refused = 0
        return self

    def hold_until_connections(self, count: int) -> None:
        """Hold every message until ``count`` connections have been opened, so that that many
        clients each take part whatever the machine's scheduling (released anyway shortly before
        the hold's limit: a test counting connections then fails on its count)."""
        hold = self.handler.hold = threading.Event()

        def release() -> None:
            wait_until(lambda: self.handler.connections >= count, HOLD_LIMIT_SECONDS - 1, interval=0.01)
            hold.set()

        threading.Thread(target=release, name="sink-hold", daemon=True).start()

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--refuse-every", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before answering each message")
    args = parser.parse_args()
    sink = SmtpSink(refuse_every=args.refuse_every, out=args.out, port=args.port, delay=args.delay).start()
    print(sink.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    sink.stop()
    with open(os.path.join(args.out, "stats.json"), "w") as handle:
        json.dump({"connections": sink.connections, "refused": sink.refused}, handle)
    sys.exit(0)


if __name__ == "__main__":
    main()
