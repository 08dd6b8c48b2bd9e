"""MIME boundaries that content cannot contain: 128 bits from the OS's secure random source.

The boundary is not checked against the content it delimits (``email.generator`` does that with a
regex over the whole part, a quarter of its serialising time), so it must be unpredictable: an
attacker who writes part of an email's content and has seen earlier boundaries must not be able
to guess the next one and close a part early. Hence ``os.urandom``, not ``random``.

Each thread draws its randomness 4 KiB at a time: one system call per 256 boundaries instead of
one per message. A system call lets go of the GIL, and on a busy dispatcher a delivery thread
that lets go of it mid-message may wait milliseconds to get it back.
"""

from __future__ import annotations

import os
import threading

_BYTES_PER_BOUNDARY = 16
_DRAW = 256 * _BYTES_PER_BOUNDARY


class _ThreadPool(threading.local):
    def __init__(self) -> None:
        self.random = b""
        self.offset = 0
        self.pid = 0


_pool = _ThreadPool()


def new_boundary() -> str:
    """A fresh ``===============<32 hex digits>==`` boundary (the shape ``email.generator`` uses)."""
    pool = _pool
    # A forked child (a dispatcher process, a Celery worker) must not reuse its parent's bytes:
    # checking the pid also covers forks that skip Python's at-fork hooks.
    if pool.offset + _BYTES_PER_BOUNDARY > len(pool.random) or pool.pid != os.getpid():
        pool.random, pool.offset, pool.pid = os.urandom(_DRAW), 0, os.getpid()
    chunk = pool.random[pool.offset:pool.offset + _BYTES_PER_BOUNDARY]
    pool.offset += _BYTES_PER_BOUNDARY
    return f"==============={chunk.hex()}=="
