"""What a test does when a real service it needs (a database, Redis, Chromium) is missing."""

from __future__ import annotations

import os

import pytest

IN_CI = bool(os.environ.get("CI"))


def require(available: bool, needs: str) -> None:
    """Return when the service is there. Otherwise skip the test, or fail it under CI, where every
    service must be up (a skipped test there would hide a broken setup)."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"Under CI this test must run: it needs {needs}.")
    pytest.skip(f"needs {needs}")
