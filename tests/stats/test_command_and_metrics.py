"""``post_office_stats`` (text and --json) and the Prometheus metrics view (format and access)."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from post_office.models import PRIORITY, STATUS, Email, Log
from post_office.stats.rollup import BackendCounts, add_to_rollup

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-token-for-scrapers"


@pytest.fixture
def figures():
    now = timezone.now()
    add_to_rollup({"default": BackendCounts(sent=12, failed=2, last_error="SMTPDataError: 550 nope")}, now)
    for priority in (PRIORITY.high, PRIORITY.low, PRIORITY.low):
        Email.objects.create(from_email="s@example.com", to=["a@example.com"], status=STATUS.queued,
                             priority=priority)
    failed = Email.objects.create(from_email="s@example.com", to=["b@example.com"], status=STATUS.failed)
    Log.objects.create(email=failed, status=STATUS.failed, exception_type="SMTPDataError", message="550 nope")


def run(*args: str) -> str:
    out = StringIO()
    call_command("post_office_stats", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_stats_command_prints_the_figures_as_text(figures):
    text = run()
    assert "Queued:          3 (now 0, high 1, medium 0, low 2)" in text
    assert "Last hour:       sent 12, failed 2" in text
    assert re.search(r"^default\s+12\s+2\s+14\.3%", text, re.M)
    assert "1  SMTPDataError: 550 nope" in text


def test_stats_command_json_has_overview_backends_and_reasons(figures):
    data = json.loads(run("--json"))
    assert data["overview"]["queued_by_priority"] == {"now": 0, "high": 1, "medium": 0, "low": 2}
    assert data["overview"]["sent_1h"] == 12
    assert data["backends"][0]["alias"] == "default" and data["backends"][0]["failed_24h"] == 2
    assert data["failure_reasons"] == [{"exception_type": "SMTPDataError", "pattern": "550 nope", "count": 1}]


def test_stats_command_rejects_a_prune_of_zero_days():
    with pytest.raises(CommandError, match="--prune-days"):
        run("--prune-days", "0")


def test_metrics_are_in_prometheus_text_format(figures, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "METRICS_TOKEN": TOKEN}
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.content.decode()
    sample = re.compile(r'^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[0-9.e+]+$')
    for line in body.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line
    assert 'post_office_queue_depth{priority="low"} 2' in body
    assert 'post_office_emails_sent_total{backend="default"} 12' in body
    assert 'post_office_emails_failed_total{backend="default"} 2' in body
    assert "# TYPE post_office_oldest_queued_age_seconds gauge" in body


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-of-enough-length", "Basic b3BzOnB3"])
def test_metrics_refuse_anonymous_and_wrong_tokens(settings, header):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "METRICS_TOKEN": TOKEN}
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/metrics", **extra)
    assert response.status_code == 401
    assert "post_office" not in response.content.decode()


def test_metrics_need_the_view_permission_for_staff_sessions(client_for):
    assert client_for().get("/metrics").status_code == 401
    assert client_for("view_email").get("/metrics").status_code == 200


def test_a_short_metrics_token_is_a_configuration_error(settings, client_for):
    from post_office.errors import ConfigurationError

    settings.POST_OFFICE = {**settings.POST_OFFICE, "METRICS_TOKEN": "short"}
    with pytest.raises(ConfigurationError, match="METRICS_TOKEN"):
        Client().get("/metrics", HTTP_AUTHORIZATION="Bearer short")
