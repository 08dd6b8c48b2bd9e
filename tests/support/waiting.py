"""Polling for a condition that another thread, process or browser makes true."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.1) -> bool:
    """Whether ``condition()`` comes true within ``timeout`` seconds, asked every ``interval``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
