"""Fixtures for dispatcher tests: queued emails in bulk, a sink in its own process, the test DB."""

from __future__ import annotations

from email.utils import make_msgid

import pytest
from django.db import connection

from post_office.models import PRIORITY, STATUS, Email
from tests.support.processes import SinkProcess


@pytest.fixture
def test_db_name() -> str:
    """The database the test really uses (pytest-django's test name, not settings NAME)."""
    return connection.settings_dict["NAME"]


@pytest.fixture
def sink_process(tmp_path):
    sinks: list[SinkProcess] = []

    def start(refuse_every: int = 0, delay: float = 0.0) -> SinkProcess:
        sinks.append(SinkProcess(tmp_path / f"sink{len(sinks)}", refuse_every, delay))
        return sinks[-1]

    yield start
    for sink in sinks:
        sink.stop()


@pytest.fixture
def queue_emails():
    """``queue_emails(n, **fields)``: n queued emails, each with its own Message-ID, in bulk."""

    def make(n: int, **fields) -> list[int]:
        emails = [
            Email(from_email="sender@example.com", to=[f"user{i}@example.com"], subject=f"Email {i}",
                  message=f"Body {i}", status=STATUS.queued, priority=PRIORITY.medium,
                  message_id=make_msgid(domain="dispatch.test"), **fields)
            for i in range(n)
        ]
        Email.objects.bulk_create(emails, batch_size=2000)
        return list(Email.objects.order_by("-id").values_list("id", flat=True)[:n])

    return make
