"""A real SMTP server (aiosmtpd) for tests and benchmarks, with optional fault injection.

In-process: ``with SmtpSink() as sink: ... sink.messages``.
Own process: ``python -m tests.support.smtp_sink --port 0 --out DIR`` prints its port, then
appends one JSON line per accepted message to ``DIR/messages.jsonl``.

Faults, decided per message by its ``X-Fault`` header (so tests choose which emails fail):
``451-once`` (temporary, then accepted), ``550`` (permanent), ``drop-once`` (connection dropped
mid-DATA, then accepted). ``refuse_every=N`` closes every Nth connection at once.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    faulted: set[str] = field(default_factory=set)
    out: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw)
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
            session.transport.abort()  # the client sees the connection drop mid-DATA
            return "421 closing"
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), raw)
        with self.lock:
            self.messages.append(received)
            if self.out:
                with open(os.path.join(self.out, "messages.jsonl"), "a") as handle:
                    handle.write(json.dumps({
                        "mail_from": received.mail_from, "rcpt_tos": received.rcpt_tos,
                        "message_id": parsed.get("Message-ID"), "subject": parsed.get("Subject"),
                        "pid": os.getpid(), "time": time.time(),
                    }) + "\n")
        return "250 OK"


class FaultySMTP(SMTP):
    connections = 0
    refuse_every = 0

    def connection_made(self, transport):
        cls = type(self)
        cls.connections += 1
        if cls.refuse_every and cls.connections % cls.refuse_every == 0:
            transport.abort()
            return
        super().connection_made(transport)


class SinkController(Controller):
    def __init__(self, handler, refuse_every: int = 0, **kwargs):
        self.refuse_every = refuse_every
        super().__init__(handler, **kwargs)

    def factory(self):
        smtp_class = type("SinkSMTP", (FaultySMTP,), {"connections": 0, "refuse_every": self.refuse_every})
        return smtp_class(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """``with SmtpSink() as sink:`` a live server on 127.0.0.1:<sink.port>."""

    def __init__(self, refuse_every: int = 0, out: str | None = None, port: int = 0) -> None:
        self.handler = Handler(out=out)
        self.controller = SinkController(
            self.handler, refuse_every=refuse_every, hostname="127.0.0.1", port=port or _free_port(),
            data_size_limit=50 * 1024 * 1024,
        )

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--refuse-every", type=int, default=0)
    args = parser.parse_args()
    sink = SmtpSink(refuse_every=args.refuse_every, out=args.out, port=args.port).start()
    print(sink.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    sink.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
