"""Fixtures for the statistics tests: the metrics URLconf and rollup totals."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from post_office.models import DeliveryStat
from tests.dispatch.conftest import queue_emails, sink_process, test_db_name  # noqa: F401 - shared fixtures


@pytest.fixture(autouse=True)
def _metrics_urls(settings):
    settings.ROOT_URLCONF = "tests.stats.urls"


def rollup_totals(alias: str | None = None) -> dict[str, int]:
    rows = DeliveryStat.objects.all() if alias is None else DeliveryStat.objects.filter(backend_alias=alias)
    totals = rows.aggregate(sent=Sum("sent"), failed=Sum("failed"), retried=Sum("retried"),
                            requeued=Sum("requeued"))
    return {key: value or 0 for key, value in totals.items()}
