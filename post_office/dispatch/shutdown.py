"""Signals for a dispatcher process: the first SIGTERM (or Ctrl-C) finishes the emails in hand,
records them and exits; the second exits at once."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def graceful_stop(stop: threading.Event, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT),
                  on_signal: Callable[[int], None] | None = None) -> Iterator[threading.Event]:
    """Within the block, the first of ``signals`` sets ``stop``; a second one ends the process.

    Does nothing outside the main thread (Python only delivers signals there). The previous
    handlers are restored on exit, so a library call leaves its host's signal setup alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum, frame) -> None:
        if on_signal is not None:
            on_signal(signum)
        if stop.is_set():
            # Second signal: die as the default disposition would (SIGINT's default is an exception).
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        stop.set()

    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
