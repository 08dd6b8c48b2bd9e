"""Chromium (Debian's) under Playwright for the studio's browser tests, plus a loopback 'attacker'."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium  # noqa: F401,E402 - re-exported


class Recorder(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


class OffServerHost:
    """An HTTP server on 127.0.0.2 standing in for a remote host: any request to it is a leak."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Recorder)
        self.server.hits = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.2:{self.server.server_address[1]}"

    @property
    def hits(self) -> list[str]:
        return list(self.server.hits)

    def __enter__(self) -> OffServerHost:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class LiveServer:
    """Django's live server thread for one test, stopped (its connections closed) when it ends."""

    def __init__(self) -> None:
        self.thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        self.thread.daemon = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.thread.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        return self

    def __exit__(self, *exc) -> None:
        self.thread.terminate()
