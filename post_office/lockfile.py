"""Compatibility shim: django-post_office serialised dispatch with this lock file.

post_office claims emails in the database, so several dispatchers may run at once; ``FileLock``
still works for projects that used it for their own purposes.
"""

from __future__ import annotations

import contextlib
import os
import time

default_lockfile = "/tmp/post_office"


class FileLocked(Exception):
    pass


class FileLock:
    """An exclusive lock file created with O_EXCL; ``timeout`` seconds to wait (None: fail at once)."""

    def __init__(self, lock_filename: str, timeout: float | None = None, force: bool = False) -> None:
        self.lock_filename = f"{lock_filename}.lock"
        self.timeout = timeout
        self.force = force

    def acquire(self) -> None:
        deadline = time.monotonic() + (self.timeout or 0)
        while True:
            try:
                fd = os.open(self.lock_filename, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self.force:
                    os.unlink(self.lock_filename)
                    continue
                if time.monotonic() >= deadline:
                    raise FileLocked(self.lock_filename) from None
                time.sleep(0.1)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            return

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.lock_filename)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
