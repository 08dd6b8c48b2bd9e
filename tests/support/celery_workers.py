"""Real Celery workers (``celery -A demo worker``) for tests, on Redis, against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.processes import REPO, _env

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


def purge(queue: str) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).delete(queue)


class Worker:
    """``celery -A demo worker --pool=solo -Q <queue>``, logging to ``log``. It reserves one task
    at a time, so of two tasks queued back to back each of two workers takes one."""

    def __init__(self, name: str, queue: str, db_name: str, smtp_port: int, log: Path) -> None:
        self.log = log
        env = _env(DEMO_DB="postgres", DEMO_DB_NAME=db_name, DEMO_EMAIL_PORT=str(smtp_port), DEMO_CELERY="1",
                   CELERY_BROKER_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="demo.settings")
        args = [sys.executable, "-m", "celery", "-A", "demo", "worker", "--pool=solo", "-Q", queue,
                "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--prefetch-multiplier=1", "--loglevel=INFO"]
        self._handle = log.open("w")
        self.process = subprocess.Popen(args, cwd=REPO, env=env, stdout=self._handle, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited {self.process.returncode}:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"worker not ready after {timeout}s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: finishes the task in hand
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._handle.close()
