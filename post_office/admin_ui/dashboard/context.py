"""Template contexts for the dashboard and its htmx partials, built from :mod:`post_office.stats`."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ...models import RecipientDeliveryStatus
from ...stats import queries

VIEW_EMAIL = "post_office.view_email"
VIEW_LOG = "post_office.view_log"
REQUEUE = "post_office.requeue_email"
TEST_CONNECTION = "post_office.test_backend_connection"
HARD_BOUNCED = RecipientDeliveryStatus.HARD_BOUNCED.value

# Seconds between refreshes of each live part; per-minute charts change once a minute at most.
REFRESH = {"counters": 5, "tail": 5, "failures": 15, "charts": 30, "backends": 5}
SENT_COLORS = ["#2563eb", "#16a34a", "#9333ea", "#0891b2", "#ca8a04", "#4f46e5"]
FAILED_COLORS = ["#dc2626", "#ea580c", "#db2777", "#b91c1c", "#c2410c", "#be185d"]
DAY_SERIES_MAX_AGE = 60  # seconds: today's bar may lag a minute; the per-minute charts do not
EMAILS_IN_LINK = 300  # ids carried by a "show these emails" link (the URL must stay short)
CHART_OPTIONS = json.dumps({
    "animation": False, "responsive": True, "maintainAspectRatio": False,
    "interaction": {"mode": "index", "intersect": False},
    "plugins": {"legend": {"display": True, "align": "end", "position": "top",
                           "labels": {"boxWidth": 8, "boxHeight": 8, "color": "#9ca3af"}}},
    "scales": {"x": {"grid": {"display": False}, "ticks": {"maxTicksLimit": 12, "color": "#9ca3af"}},
               "y": {"beginAtZero": True, "ticks": {"precision": 0, "color": "#9ca3af"}}},
    "elements": {"point": {"radius": 0}, "line": {"borderWidth": 2, "tension": 0.2}},
    "datasets": {"bar": {"maxBarThickness": 14, "borderRadius": 3}},
})


def part_url(part: str) -> str:
    return reverse("admin:post_office_dashboard_part", args=[part])


def live(part: str) -> dict:
    return {"part": part, "url": part_url(part), "every": REFRESH[part]}


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return _("none waiting")
    seconds = int(seconds)
    if seconds < 60:
        return _("%(n)d s") % {"n": seconds}
    if seconds < 3600:
        return _("%(m)d min") % {"m": seconds // 60}
    if seconds < 86400:
        return _("%(h)d h %(m)d min") % {"h": seconds // 3600, "m": seconds % 3600 // 60}
    days = seconds // 86400
    return ngettext("%(d)d day", "%(d)d days", days) % {"d": days}


def counters_context(now: datetime) -> dict:
    overview = queries.overview(now)
    health = queries.backend_health(now)
    return {"overview": overview, "oldest_text": age_text(overview.oldest_queued_seconds),
            "health": health, "counters_live": live("counters"), **bounces_context(health)}


def bounces_context(health: list[queries.BackendHealth]) -> dict:
    """The bounces-and-complaints card: totals of the per-backend figures already read (no query)."""
    email_list = reverse("admin:post_office_email_changelist")
    return {"bounces": {
        "bounced_24h": sum(item.bounced_24h for item in health),
        "complained_24h": sum(item.complained_24h for item in health),
        "hard_bounced_url": f"{email_list}?{urlencode({'recipient_delivery_status': HARD_BOUNCED})}",
        "suppressions_url": reverse("admin:post_office_suppression_changelist"),
    }}


def _labels(series: queries.Series, label_format: str) -> list[str]:
    return [timezone.localtime(datetime.fromisoformat(label)).strftime(label_format) for label in series.labels]


def _chart(series: queries.Series, kind: str, labels: list[str]) -> str:
    datasets = []
    for n, (alias, values) in enumerate(series.backends.items()):
        color = (SENT_COLORS if kind == "sent" else FAILED_COLORS)[n % len(SENT_COLORS)]
        datasets.append({"label": alias, "data": values[kind], "borderColor": color, "backgroundColor": color})
    return json.dumps({"labels": labels, "datasets": datasets})


def charts_context(now: datetime) -> dict:
    minutes, days = queries.per_minute(now), queries.per_day(now, max_age=DAY_SERIES_MAX_AGE)
    minute_labels, day_labels = _labels(minutes, "%H:%M"), _labels(days, "%d %b")
    return {
        "chart_options": CHART_OPTIONS,
        "minute_sent": _chart(minutes, "sent", minute_labels),
        "minute_failed": _chart(minutes, "failed", minute_labels),
        "day_sent": _chart(days, "sent", day_labels), "day_failed": _chart(days, "failed", day_labels),
        "charts_live": live("charts"),
    }


def failures_context(request: HttpRequest, now: datetime) -> dict:
    email_list = reverse("admin:post_office_email_changelist")
    reasons = []
    for reason in queries.failure_reasons(now):
        ids = ",".join(map(str, reason.email_ids[:EMAILS_IN_LINK]))
        reasons.append({"reason": reason, "emails_url": f"{email_list}?{urlencode({'id__in': ids})}",
                        "more": len(reason.email_ids) > EMAILS_IN_LINK})
    return {"reasons": reasons, "can_requeue": request.user.has_perm(REQUEUE),
            "requeue_url": reverse("admin:post_office_dashboard_requeue"), "failures_live": live("failures")}


def tail_context(request: HttpRequest) -> dict:
    if not request.user.has_perm(VIEW_LOG):
        return {"tail": None}
    return {"tail": queries.log_tail(), "tail_live": live("tail")}


def dashboard_context(request: HttpRequest, now: datetime | None = None) -> dict:
    """Everything the dashboard shows but its charts, or ``{"post_office_dashboard": False}`` for a user without
    the view permission on emails (who then sees no figure at all)."""
    if not request.user.has_perm(VIEW_EMAIL):
        return {"post_office_dashboard": False}
    now = now or timezone.now()
    # The charts arrive in their own request right after the page (hx-trigger "load"): the
    # page and each part then stay within budget on their own.
    return {"post_office_dashboard": True, "backends_url": reverse("admin:post_office_deliverystat_changelist"),
            "charts_live": live("charts"), **counters_context(now), **failures_context(request, now),
            **tail_context(request)}


PARTS = {
    "counters": ("post_office/admin/dashboard/counters.html", lambda request, now: counters_context(now)),
    "charts": ("post_office/admin/dashboard/charts.html", lambda request, now: charts_context(now)),
    "failures": ("post_office/admin/dashboard/failures.html", failures_context),
    "tail": ("post_office/admin/dashboard/tail.html", lambda request, now: tail_context(request)),
    "backends": ("post_office/admin/dashboard/backend_rows.html",
                 lambda request, now: {"health": queries.backend_health(now), "backends_live": live("backends")}),
}
