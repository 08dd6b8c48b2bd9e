"""The dashboard in Chromium: it shows what the dispatcher really did, and updates in place
(no reload) while a dispatcher process sends to an aiosmtpd sink; polling pauses in hidden tabs.
Saves docs/screenshots/dashboard.png for the README when UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import math
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from post_office import mail
from post_office.dispatch.engine import send_queued_until_done
from post_office.models import DeliveryStat
from tests.stats.conftest import rollup_totals
from tests.support.browser import CHROMIUM_ARGS, screenshot_path
from tests.support.processes import finish, start_dispatcher, terminate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
assert CHROMIUM_ARGS  # the flags the preamble asks for come with the fixture


@pytest.fixture
def page(browser, live_server):
    user = User.objects.create_user("operator", password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="post_office", codename__in=("view_email", "view_log", "requeue_email")))
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    context.close()


def figure(page, name: str) -> str:
    return page.locator(f"#po-counters .grid [data-figure={name}]").inner_text().strip()


def seed_history(now) -> None:
    """Older than an hour (so the last hour's figures stay the run's own): a shape for the charts."""
    rows = []
    for alias, scale in (("default", 1.0), ("transactional", 0.4)):
        for step in range(61, 24 * 60):  # every minute, from 1 to 24 hours ago
            moment = (now - timedelta(minutes=step)).replace(second=0, microsecond=0)
            sent = int(scale * (20 + 15 * math.sin(step / 90)))
            rows.append(DeliveryStat(bucket=moment, backend_alias=alias, sent=sent, failed=step % 97 == 0,
                                     latency_ms=sent * 400))
        for day in range(2, 30):
            moment = (now - timedelta(days=day)).replace(second=0, microsecond=0)
            rows.append(DeliveryStat(bucket=moment, backend_alias=alias, sent=int(scale * (2500 + 900 * math.sin(day))),
                                     failed=int(scale * (20 + 15 * math.cos(day)))))
    DeliveryStat.objects.bulk_create(rows)


def queue(n: int, prefix: str, **kwargs) -> None:
    for i in range(n):
        mail.send(recipients=[f"{prefix}{i}@example.com"], sender="shop@example.com",
                  subject=f"{prefix} {i}", message="Hello", **kwargs)


def test_dashboard_shows_the_rollup_and_updates_live_while_a_dispatcher_sends(
        page, live_server, settings, smtp_backend, sink_process, tmp_path):
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MESSAGE_ID_ENABLED": True,
                            "BACKENDS": {"default": smtp, "transactional": smtp}}
    queue(12, "ok")
    queue(3, "rejected", headers={"X-Fault": "550"})
    send_queued_until_done()
    assert rollup_totals() == {"sent": 12, "failed": 3, "retried": 0, "requeued": 0}
    seed_history(timezone.now())
    cache.clear()  # the per-day series is cached for a minute; the history was written just now

    page.reload()
    assert figure(page, "sent_1h") == "12" and figure(page, "failed_1h") == "3"
    assert page.locator("#po-failures tr[data-reason] [data-figure=count]").inner_text() == "3"
    assert page.locator("#po-tail tr[data-log]").count() == 10
    page.wait_for_function("() => document.querySelectorAll('#po-charts canvas.chart').length === 4 && "
                           "[...document.querySelectorAll('#po-charts canvas.chart')].every(c => Chart.getChart(c))")

    # Live: a dispatcher in its own process sends while the page stays open (no reload).
    page.evaluate("() => { window.__stillTheSamePage = true; }")
    queue(30, "live")
    sink = sink_process(delay=0.05)
    dispatcher = start_dispatcher(connection.settings_dict["NAME"], sink.port, {"BATCH_SIZE": 10})
    try:
        finish(dispatcher, timeout=120)
    finally:
        terminate(dispatcher)
    assert len(sink.message_ids()) == 30
    page.wait_for_function("() => document.querySelector('#po-counters .grid [data-figure=sent_1h]')"
                           ".textContent.trim() === '42'", timeout=20_000)
    assert page.evaluate("() => window.__stillTheSamePage") is True
    page.wait_for_function("() => [...document.querySelectorAll('#po-tail td')]"
                           ".some(td => td.textContent.includes('live'))", timeout=20_000)
    # The charts refresh too (every 30 s): the last minutes of "sent per minute" add up to 42.
    page.wait_for_function("""() => {
        const chart = Chart.getChart(document.querySelector('#po-charts canvas.chart'));
        return chart && chart.data.datasets[0].data.slice(-10).reduce((a, b) => a + b, 0) === 42;
    }""", timeout=90_000)
    page.screenshot(path=str(screenshot_path("dashboard.png", tmp_path)), full_page=False)


def test_polling_pauses_while_the_tab_is_hidden_and_never_piles_up(page, live_server):
    polls: list[float] = []
    page.on("request", lambda r: polls.append(time.monotonic()) if "/dashboard/counters/" in r.url else None)
    page.wait_for_timeout(11_000)
    assert 1 <= len(polls) <= 3  # every 5 s, one at a time
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_timeout(2_000)  # a poll that left before the tab was hidden is counted by now
    hidden_from = len(polls)
    page.wait_for_timeout(11_000)
    assert len(polls) == hidden_from
    # Refreshed on coming back, by the visibility change itself (not by the next 5 s tick).
    with page.expect_request(lambda r: "/dashboard/counters/" in r.url, timeout=10_000):
        page.evaluate("""() => {
            window.__countersTriggeredBy = [];
            document.body.addEventListener('htmx:configRequest', (event) => {
                if (event.detail.path.includes('/dashboard/counters/')) {
                    window.__countersTriggeredBy.push(event.detail.triggeringEvent?.type ?? null);
                }
            });
            Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
            document.dispatchEvent(new Event('visibilitychange'));
        }""")
    assert page.evaluate("() => window.__countersTriggeredBy[0]") == "visibilitychange"
    assert re.fullmatch(r"\d+", figure(page, "queued"))


def test_a_refresh_that_fails_marks_the_figures_out_of_date_until_one_succeeds(page, live_server):
    counters = page.locator("#po-counters")
    queued_before = figure(page, "queued")
    page.route("**/dashboard/counters/**", lambda route: route.fulfill(status=500, body="Server Error"))

    notice = counters.locator(".po-load-error")
    notice.wait_for(timeout=15_000)  # the next 5 s tick fails
    assert notice.inner_text() == "Not up to date: the last refresh failed (HTTP 500). Trying again."
    assert notice.get_attribute("role") == "alert"
    assert figure(page, "queued") == queued_before  # the last figures stay, marked

    page.unroute("**/dashboard/counters/**")
    notice.wait_for(state="detached", timeout=15_000)  # the next good answer replaces it
