"""MIME boundaries: unpredictable (drawn from os.urandom), never repeated, fresh after a fork."""

from __future__ import annotations

import os
import re
import threading

from post_office.rendering import boundary
from post_office.rendering.boundary import new_boundary

SHAPE = re.compile(r"={15}[0-9a-f]{32}==")


def test_boundaries_have_the_generator_shape_and_never_repeat_across_threads():
    drawn: list[str] = []
    lock = threading.Lock()

    def draw() -> None:
        mine = [new_boundary() for _ in range(3000)]  # several refills of the thread's pool
        with lock:
            drawn.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(drawn) == 12000 and all(SHAPE.fullmatch(b) for b in drawn)
    assert len(set(drawn)) == len(drawn)


def test_randomness_comes_from_the_os_in_blocks(monkeypatch):
    calls: list[int] = []
    real = os.urandom
    monkeypatch.setattr(boundary.os, "urandom", lambda n: calls.append(n) or real(n))
    boundary._pool.random = b""  # start from an empty pool in this thread

    drawn = [new_boundary() for _ in range(600)]

    assert len(set(drawn)) == 600
    assert calls == [4096, 4096, 4096]  # 256 boundaries per system call


def test_a_forked_child_draws_other_boundaries_than_its_parent():
    new_boundary()  # the parent's pool holds unused randomness a child could inherit
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next boundaries, then leave at once, whatever happens
        try:
            os.close(read)
            os.write(write, " ".join(new_boundary() for _ in range(5)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read().split()
    os.waitpid(pid, 0)
    parent = [new_boundary() for _ in range(5)]

    assert len(child) == 5 and not set(child) & set(parent)
