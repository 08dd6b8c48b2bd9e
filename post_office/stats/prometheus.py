"""The figures in Prometheus' text exposition format (version 0.0.4)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import queries

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            rendered = ",".join(f'{key}="{_label(val)}"' for key, val in labels.items())
            self.lines.append(f"{name}{{{rendered}}} {value:g}" if rendered else f"{name} {value:g}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render(now: datetime | None = None) -> str:
    """Queue depth by priority, scheduled emails, oldest due email's age, and per backend alias the
    delivery counters (all time, as held by the rollup) and last hour's figures."""
    now = now or timezone.now()
    out = _Writer()
    depth = queries.queue_depth()
    out.metric("post_office_queue_depth", "gauge", "Queued emails (scheduled ones included) by priority.",
               [({"priority": name}, n) for name, n in depth.items()])
    out.metric("post_office_scheduled_emails", "gauge", "Queued emails scheduled for later.",
               [({}, queries.Email.objects.scheduled(now).count())])
    age = queries.oldest_queued_age(now)
    out.metric("post_office_oldest_queued_age_seconds", "gauge",
               "Seconds since the oldest due email became due (0 when none is waiting).", [({}, age or 0.0)])
    totals = queries.totals_by_backend()
    aliases = [*queries.backend_aliases(), *sorted(set(totals) - set(queries.backend_aliases()))]
    for counter, help_text in (("sent", "Emails delivered."), ("failed", "Emails failed for good."),
                               ("retried", "Failed attempts queued again for a retry."),
                               ("requeued", "Failed emails requeued by an operator.")):
        out.metric(f"post_office_emails_{counter}_total", "counter", help_text,
                   [({"backend": alias}, totals.get(alias, {}).get(counter, 0)) for alias in aliases])
    health = queries.backend_health(now)
    out.metric("post_office_backend_failure_ratio", "gauge",
               "Failed attempts / attempts over the last 24 hours.",
               [({"backend": h.alias}, h.failure_rate or 0.0) for h in health])
    out.metric("post_office_backend_latency_seconds", "gauge",
               "Mean time from due to sent over the last hour.",
               [({"backend": h.alias}, (h.latency_ms or 0.0) / 1000) for h in health])
    out.metric("post_office_backend_last_success_timestamp_seconds", "gauge",
               "Unix time of the last delivery (0: none recorded).",
               [({"backend": h.alias}, h.last_sent_at.timestamp() if h.last_sent_at else 0) for h in health])
    return out.text()
