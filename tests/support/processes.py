"""Real OS processes for dispatch tests: an SMTP sink and ``send_queued_mail`` dispatchers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    return {**env, "PYTHONPATH": str(REPO), **extra}


class SinkProcess:
    """``python -m tests.support.smtp_sink`` in its own process, writing to ``out``."""

    def __init__(self, out: Path, refuse_every: int = 0, delay: float = 0.0) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "tests.support.smtp_sink", "--out", str(self.out),
                "--refuse-every", str(refuse_every), "--delay", str(delay)]
        self.process = subprocess.Popen(args, cwd=REPO, env=_env(), stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline().strip())

    def lines(self) -> list[dict]:
        path = self.out / "messages.jsonl"
        if not path.exists():
            return []
        with path.open() as handle:
            return [json.loads(line) for line in handle if line.endswith("\n")]

    def message_ids(self) -> Counter:
        return Counter(line["message_id"] for line in self.lines())

    def wait_for(self, count: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = len(self.lines())
            if seen >= count:
                return seen
            time.sleep(0.05)
        return len(self.lines())

    def stop(self) -> dict:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process.stdout.close()
        stats = self.out / "stats.json"
        return json.loads(stats.read_text()) if stats.exists() else {}


def start_dispatcher(db_name: str, port: int, post_office: dict | None = None, *args: str,
                     media_root: str | None = None) -> subprocess.Popen:
    """``manage.py send_queued_mail *args`` against the test database ``db_name``."""
    env = _env(DJANGO_SETTINGS_MODULE="tests.dispatch.dispatcher_settings", DISPATCH_DB_NAME=db_name,
               DISPATCH_EMAIL_PORT=str(port), DISPATCH_POST_OFFICE=json.dumps(post_office or {}))
    if media_root:
        env["DISPATCH_MEDIA_ROOT"] = media_root
    return subprocess.Popen([sys.executable, "manage.py", "send_queued_mail", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for ``process``; kill it and fail if it overruns or exits non-zero."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"dispatcher still running after {timeout}s\n{out}\n{err}") from None
    assert process.returncode == 0, f"dispatcher exited {process.returncode}\n{out}\n{err}"
    return out, err


def terminate(*processes: subprocess.Popen) -> None:
    """Best-effort cleanup for a test that failed half-way."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()
