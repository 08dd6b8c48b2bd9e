"""``manage.py post_office_stats [--json] [--prune-days N]``: the dashboard's figures in a terminal."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...stats import queries
from ...stats.rollup import prune


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _percent(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio * 100:.1f}%"


class Command(BaseCommand):
    help = "Print queue depth, delivery counts, per-backend health and the top failure reasons."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON document instead of text.")
        parser.add_argument("--prune-days", type=int, default=None, metavar="N",
                            help="First delete per-minute statistics older than N days.")

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        if options["prune_days"] is not None:
            if options["prune_days"] < 1:
                raise CommandError("--prune-days must be at least 1.")
            deleted = prune(timedelta(days=options["prune_days"]), now)
            self.stderr.write(f"Pruned {deleted} statistics rows.")
        overview = queries.overview(now)
        health = queries.backend_health(now)
        reasons = queries.failure_reasons(now)
        if options["json"]:
            self.stdout.write(json.dumps({
                "generated_at": now.isoformat(),
                "overview": overview.as_dict(),
                "backends": [item.as_dict() for item in health],
                "failure_reasons": [reason.as_dict() for reason in reasons],
            }, indent=2))
            return
        o = overview
        by_priority = ", ".join(f"{name} {n}" for name, n in o.queued_by_priority.items())
        lines = [
            f"Queued:          {o.queued} ({by_priority}); scheduled for later: {o.scheduled}",
            f"Oldest due:      {_age(o.oldest_queued_seconds)}",
            f"Last hour:       sent {o.sent_1h}, failed {o.failed_1h}",
            f"Last 24 hours:   sent {o.sent_24h}, failed {o.failed_24h}, retried {o.retried_24h}, "
            f"requeued {o.requeued_24h}",
            f"Rate now:        {o.rate_per_minute:.1f} emails/min",
            "",
            f"{'backend':<16}{'sent/h':>8}{'failed/h':>9}{'fail 24h':>9}{'latency':>10}  last success / last error",
        ]
        for item in health:
            latency = "-" if item.latency_ms is None else f"{item.latency_ms:.0f} ms"
            last_ok = item.last_sent_at.isoformat(timespec="seconds") if item.last_sent_at else "never"
            lines.append(f"{item.alias:<16}{item.sent_1h:>8}{item.failed_1h:>9}{_percent(item.failure_rate):>9}"
                         f"{latency:>10}  {last_ok}" + (f" / {item.last_error}" if item.last_error else ""))
        lines.append("")
        lines.append("Top failure reasons (last 24 hours):" if reasons else "No failures in the last 24 hours.")
        for reason in reasons:
            lines.append(f"{reason.count:>7}  {reason.exception_type}: {reason.pattern}")
        self.stdout.write("\n".join(lines))
