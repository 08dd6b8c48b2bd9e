"""Fixtures for the statistics tests: staff clients with chosen permissions, rollup totals."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.db.models import Sum
from django.test import Client

from post_office.models import DeliveryStat
from tests.dispatch.conftest import queue_emails, sink_process, test_db_name  # noqa: F401 - shared fixtures

PASSWORD = "pw-for-stats-tests"


@pytest.fixture(autouse=True)
def _metrics_urls(settings):
    settings.ROOT_URLCONF = "tests.stats.urls"


@pytest.fixture
def make_staff(db):
    counter = iter(range(1000))

    def make(*codenames: str, superuser: bool = False) -> User:
        user = User.objects.create_user(f"ops{next(counter)}", password=PASSWORD, is_staff=True,
                                        is_superuser=superuser)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="post_office",
                                                            codename__in=codenames))
        return user

    return make


@pytest.fixture
def client_for(make_staff):
    def make(*codenames: str, enforce_csrf_checks: bool = False) -> Client:
        client = Client(enforce_csrf_checks=enforce_csrf_checks)
        client.force_login(make_staff(*codenames))
        return client

    return make


def rollup_totals(alias: str | None = None) -> dict[str, int]:
    rows = DeliveryStat.objects.all() if alias is None else DeliveryStat.objects.filter(backend_alias=alias)
    totals = rows.aggregate(sent=Sum("sent"), failed=Sum("failed"), retried=Sum("retried"),
                            requeued=Sum("requeued"))
    return {key: value or 0 for key, value in totals.items()}
