"""The dashboard on the admin index, its htmx partials, the per-backend page, the connection test
and "requeue these": what each user may see and do."""

from __future__ import annotations

import re
import socket

import pytest
from django.test import Client
from django.utils import timezone

from post_office import mail
from post_office.models import STATUS, Email, Log
from post_office.stats.rollup import BackendCounts, add_to_rollup
from tests.stats.conftest import rollup_totals

pytestmark = pytest.mark.django_db
PARTS = ("counters", "charts", "failures", "tail", "backends")
TEST_URL = "/admin/post_office/deliverystat/test/default/"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_index_shows_the_dashboard_figures_to_a_user_with_the_view_permission(client_for):
    add_to_rollup({"default": BackendCounts(sent=41, failed=3)}, timezone.now())
    response = client_for("view_email", "view_log").get("/admin/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span data-figure="sent_1h">41</span>' in html
    assert '<span data-figure="failed_24h">3</span>' in html
    assert 'id="po-charts"' in html and 'hx-trigger="load, every 30s' in html  # charts: own request
    assert 'hx-trigger="every 5s [document.visibilityState === \'visible\']' in html
    assert 'hx-sync="this:drop"' in html
    assert 'id="po-tail"' in html


def test_charts_partial_uses_unfolds_chart_components_with_a_series_per_backend(client_for, settings):
    settings.POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend",
                                         "bulk": "django.core.mail.backends.locmem.EmailBackend"}}
    add_to_rollup({"bulk": BackendCounts(sent=9)}, timezone.now())
    html = client_for("view_email").get("/admin/post_office/deliverystat/dashboard/charts/").content.decode()
    assert html.count('data-type="line"') == 2 and html.count('data-type="bar"') == 2
    assert "&quot;label&quot;: &quot;bulk&quot;" in html and "&quot;label&quot;: &quot;default&quot;" in html


def test_index_shows_no_figures_without_the_view_permission(client_for):
    add_to_rollup({"default": BackendCounts(sent=41)}, timezone.now())
    html = client_for("view_log").get("/admin/").content.decode()
    assert "data-figure" not in html and "po-dashboard" not in html


def test_log_tail_needs_the_log_view_permission(client_for):
    client = client_for("view_email")
    assert 'id="po-tail"' not in client.get("/admin/").content.decode()
    assert client.get("/admin/post_office/deliverystat/dashboard/tail/").status_code == 403


@pytest.mark.parametrize("part", PARTS)
def test_each_partial_renders_for_the_permitted_and_is_forbidden_otherwise(client_for, part):
    url = f"/admin/post_office/deliverystat/dashboard/{part}/"
    allowed = client_for("view_email", "view_log").get(url, HTTP_HX_REQUEST="true")
    assert allowed.status_code == 200 and "no-store" in allowed["Cache-Control"]
    assert client_for("view_log").get(url).status_code == 403
    assert Client().get(url).status_code == 302  # anonymous: to the login page


def test_unknown_partial_is_404(client_for):
    assert client_for("view_email").get("/admin/post_office/deliverystat/dashboard/nope/").status_code == 404


def test_backends_page_lists_every_alias_with_a_test_button_only_for_the_permitted(client_for, settings):
    settings.POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend",
                                         "bulk": "django.core.mail.backends.locmem.EmailBackend"}}
    url = "/admin/post_office/deliverystat/"
    viewer = client_for("view_email").get(url).content.decode()
    assert 'data-backend="bulk"' in viewer and "Test connection" not in viewer
    tester = client_for("view_email", "test_backend_connection").get(url).content.decode()
    assert tester.count("Test connection") == 2
    assert client_for("view_log").get(url).status_code == 403


def test_test_connection_opens_and_closes_a_real_smtp_connection(client_for, smtp_backend):
    client = client_for("view_email", "test_backend_connection")
    response = client.post(TEST_URL, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-ok="true"' in response.content.decode()
    assert smtp_backend.connections == 1 and smtp_backend.messages == []


def test_test_connection_reports_a_refused_connection(client_for, settings):
    settings.POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"}}
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    response = client_for("view_email", "test_backend_connection").post(TEST_URL, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-ok="false"' in html and "ConnectionRefusedError" in html


def test_test_connection_is_forbidden_without_the_permission(client_for, smtp_backend):
    assert client_for("view_email").post(TEST_URL).status_code == 403
    assert smtp_backend.connections == 0


def test_test_connection_enforces_csrf(client_for, smtp_backend):
    client = client_for("view_email", "test_backend_connection", enforce_csrf_checks=True)
    assert client.post(TEST_URL).status_code == 403
    assert smtp_backend.connections == 0
    client.get("/admin/post_office/deliverystat/")
    token = client.cookies["csrftoken"].value
    assert client.post(TEST_URL, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true").status_code == 200
    assert smtp_backend.connections == 1


def test_test_connection_of_an_unknown_alias_is_404(client_for):
    client = client_for("view_email", "test_backend_connection")
    assert client.post("/admin/post_office/deliverystat/test/nope/").status_code == 404
    assert client.get(TEST_URL).status_code == 405


def failed_with(reason: str, n: int) -> list[Email]:
    emails = []
    for i in range(n):
        email = mail.send(recipients=[f"user{i}@example.com"], sender="s@example.com", subject="x", message="x")
        Email.objects.filter(pk=email.pk).update(status=STATUS.failed)
        Log.objects.create(email=email, status=STATUS.failed, exception_type="SMTPRecipientsRefused",
                           message=f"{reason} user{i}@example.com")
        emails.append(email)
    return emails


def test_requeue_these_requeues_the_failed_emails_of_that_reason_only(client_for):
    mine, other = failed_with("550 no such user", 3), failed_with("554 spam", 1)
    client = client_for("view_email", "requeue_email")
    html = client.get("/admin/").content.decode()
    assert "Requeue these" in html
    link = re.search(r'href="(/admin/post_office/email/\?id__in=[^"]+)"', html).group(1)
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert all(f"/admin/post_office/email/{e.pk}/change/" in listed for e in mine)
    assert f"/admin/post_office/email/{other[0].pk}/change/" not in listed
    response = client.post("/admin/post_office/deliverystat/dashboard/requeue/",
                           {"exception_type": "SMTPRecipientsRefused", "pattern": "550 no such user <address>"})
    assert response.status_code == 302
    assert set(Email.objects.filter(status=STATUS.queued).values_list("pk", flat=True)) == {e.pk for e in mine}
    assert Email.objects.get(pk=other[0].pk).status == STATUS.failed
    assert rollup_totals()["requeued"] == 3


def test_requeue_these_needs_the_requeue_permission_and_csrf(client_for):
    emails = failed_with("550 no such user", 1)
    data = {"exception_type": "SMTPRecipientsRefused", "pattern": "550 no such user <address>"}
    url = "/admin/post_office/deliverystat/dashboard/requeue/"
    viewer = client_for("view_email")
    assert "Requeue these" not in viewer.get("/admin/").content.decode()
    assert viewer.post(url, data).status_code == 403
    assert client_for("view_email", "requeue_email", enforce_csrf_checks=True).post(url, data).status_code == 403
    assert Email.objects.get(pk=emails[0].pk).status == STATUS.failed


def test_requeue_of_a_reason_no_longer_listed_changes_nothing(client_for):
    emails = failed_with("550 no such user", 1)
    response = client_for("view_email", "requeue_email").post(
        "/admin/post_office/deliverystat/dashboard/requeue/", {"exception_type": "X", "pattern": "gone"}, follow=True)
    assert "no longer among the recent ones" in response.content.decode()
    assert Email.objects.get(pk=emails[0].pk).status == STATUS.failed
