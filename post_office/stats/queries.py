"""The figures of the dashboard, ``post_office_stats`` and the metrics view.

Cheap at any table size: counters come from the per-minute rollup (:class:`DeliveryStat`, at most
1,440 rows per backend and day); the queue figures use the partial index on queued emails
(``post_office_email_queue``) and the ``scheduled_time`` index; failure reasons read a bounded
number of the newest failed Logs through the (status, date) index. Nothing scans the emails table.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import Left, TruncDay
from django.utils import timezone

from ..conf import post_office_settings
from ..models import PRIORITY, QUEUED_STATUSES, STATUS, DeliveryStat, Email, Log
from .rollup import bucket_of

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
RATE_WINDOW_MINUTES = 5
FAILURE_WINDOW = DAY
FAILURE_SCAN_LIMIT = 3000  # newest failed Logs read for the top reasons: bounded work
CANCELLED = "Cancelled"  # operations.CANCELLED: an operator's cancel, not a delivery failure
PRIORITY_NAMES = {p.value: p.label for p in PRIORITY}


@dataclass
class Overview:
    queued: int
    queued_by_priority: dict[str, int]
    scheduled: int
    sent_1h: int
    failed_1h: int
    sent_24h: int
    failed_24h: int
    retried_24h: int
    requeued_24h: int
    oldest_queued_seconds: float | None
    rate_per_minute: float

    def as_dict(self) -> dict:
        return asdict(self)


def _sum(rows, since: datetime) -> dict[str, int]:
    totals = rows.filter(bucket__gt=since).aggregate(
        sent=Sum("sent"), failed=Sum("failed"), retried=Sum("retried"), requeued=Sum("requeued"))
    return {key: value or 0 for key, value in totals.items()}


def queue_depth() -> dict[str, int]:
    """Queued emails (scheduled ones included) by priority name, over the queue's partial index."""
    counts = (Email.objects.filter(status__in=QUEUED_STATUSES).order_by().values_list("priority")
              .annotate(n=Count("pk")))
    by_name = {str(PRIORITY_NAMES[p]): 0 for p in sorted(PRIORITY_NAMES, reverse=True)}  # now..low
    for priority, n in counts:
        # A NULL priority (rows from before priorities) is delivered as medium.
        by_name[str(PRIORITY_NAMES.get(priority, PRIORITY_NAMES[PRIORITY.medium]))] += n
    return by_name


def oldest_queued_age(now: datetime) -> float | None:
    """Seconds since the oldest due email (queued, not scheduled for later) became due.

    Two lookups, each the first entry of a partial index over queued emails (migration 0005):
    the oldest unscheduled one by id (ids grow with creation time), and the earliest scheduled one.
    """
    queued = Email.objects.filter(status__in=QUEUED_STATUSES).order_by()
    candidates = []
    created = queued.filter(scheduled_time__isnull=True).order_by("pk").values_list("created", flat=True).first()
    if created:
        candidates.append(created)
    scheduled = (queued.filter(scheduled_time__isnull=False).order_by("scheduled_time")
                 .values_list("scheduled_time", flat=True).first())
    if scheduled and scheduled <= now:
        candidates.append(scheduled)
    return max((now - min(candidates)).total_seconds(), 0.0) if candidates else None


def overview(now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    rows = DeliveryStat.objects.all()
    day, hour = _sum(rows, now - DAY), _sum(rows, now - HOUR)
    window_start = bucket_of(now) - timedelta(minutes=RATE_WINDOW_MINUTES - 1)
    recent = rows.filter(bucket__gte=window_start).aggregate(n=Sum("sent"))["n"] or 0
    minutes = (now - window_start).total_seconds() / 60
    depth = queue_depth()
    return Overview(
        queued=sum(depth.values()), queued_by_priority=depth,
        scheduled=Email.objects.scheduled(now).count(),
        sent_1h=hour["sent"], failed_1h=hour["failed"],
        sent_24h=day["sent"], failed_24h=day["failed"], retried_24h=day["retried"],
        requeued_24h=day["requeued"],
        oldest_queued_seconds=oldest_queued_age(now),
        rate_per_minute=round(recent / minutes, 1) if minutes else 0.0,
    )


# --- series -----------------------------------------------------------------------------------
@dataclass
class Series:
    """Aligned time series: ``labels`` (ISO times) and, per backend alias, sent and failed lists."""

    labels: list[str]
    backends: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _series(points: list[datetime], rows, key_of) -> Series:
    index = {point: n for n, point in enumerate(points)}
    series = Series(labels=[point.isoformat() for point in points])
    for alias in backend_aliases():
        series.backends[alias] = {"sent": [0] * len(points), "failed": [0] * len(points)}
    for alias, moment, sent, failed in rows:
        position = index.get(key_of(moment))
        if position is None:
            continue
        entry = series.backends.setdefault(alias, {"sent": [0] * len(points), "failed": [0] * len(points)})
        entry["sent"][position] += sent or 0
        entry["failed"][position] += failed or 0
    return series


def per_minute(now: datetime | None = None, hours: int = 24) -> Series:
    """Sent and failed per minute over the last ``hours``, per backend alias."""
    now = now or timezone.now()
    last = bucket_of(now)
    points = [last - timedelta(minutes=m) for m in range(hours * 60 - 1, -1, -1)]
    rows = (DeliveryStat.objects.filter(bucket__gte=points[0])
            .values_list("backend_alias", "bucket", "sent", "failed"))
    return _series(points, rows, bucket_of)


def per_day(now: datetime | None = None, days: int = 30, max_age: int = 0) -> Series:
    """Sent and failed per day (the current time zone's days) over ``days``, per alias.

    ``max_age`` > 0: reuse a result computed up to that many seconds ago (Django's default cache):
    the live dashboard asks every 30 s for a month of rows that barely change.
    """
    if max_age:
        key = f"post_office:stats:per_day:{days}:{timezone.get_current_timezone_name()}"
        series = cache.get(key)
        if series is None:
            series = per_day(now, days)
            cache.set(key, series, max_age)
        return series
    now = timezone.localtime(now or timezone.now())
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    points = [today - timedelta(days=d) for d in range(days - 1, -1, -1)]
    rows = (DeliveryStat.objects.filter(bucket__gte=points[0]).annotate(day=TruncDay("bucket"))
            .order_by().values_list("backend_alias", "day").annotate(Sum("sent"), Sum("failed")))
    return _series(points, rows, lambda day: timezone.localtime(day).replace(hour=0, minute=0, second=0,
                                                                              microsecond=0))


# --- failures ----------------------------------------------------------------------------------
_PATTERNS = [
    (re.compile(r"<[^<>\s]+@[^<>\s]+>"), "<id>"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<address>"),
    (re.compile(r"\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b"), "<ip>"),
    (re.compile(r"\b[0-9a-fA-F]{8,}\b"), "<hex>"),
    (re.compile(r"\b\d{4,}\b"), "N"),  # keeps SMTP codes (550, 5.7.1), hides ids and counts
    (re.compile(r"\s+"), " "),
]


def message_pattern(message: str) -> str:
    """A failure message with its variable parts (addresses, ids, IPs, long numbers) masked,
    so that the same failure for different emails counts as one reason."""
    text = message[:300]
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text.strip()[:200]


@dataclass
class FailureReason:
    exception_type: str
    pattern: str
    count: int
    email_ids: list[int]

    @property
    def key(self) -> str:
        return f"{self.exception_type}\x1f{self.pattern}"

    def as_dict(self) -> dict:
        return {"exception_type": self.exception_type, "pattern": self.pattern, "count": self.count}


def failure_reasons(now: datetime | None = None, limit: int = 10,
                    scan_limit: int = FAILURE_SCAN_LIMIT) -> list[FailureReason]:
    """The most frequent failure reasons among the newest ``scan_limit`` failed attempts of the
    last 24 hours (exception type + message pattern), most frequent first."""
    now = now or timezone.now()
    logs = (Log.objects.filter(status=STATUS.failed, date__gte=now - FAILURE_WINDOW)
            .exclude(exception_type=CANCELLED).order_by("-date")
            .annotate(head=Left("message", 300)).values_list("email_id", "exception_type", "head")[:scan_limit])
    counts: Counter[tuple[str, str]] = Counter()
    ids: dict[tuple[str, str], list[int]] = {}
    for email_id, exception_type, message in logs:
        key = (exception_type or "Error", message_pattern(message or ""))
        counts[key] += 1
        ids.setdefault(key, []).append(email_id)
    return [FailureReason(kind, pattern, n, sorted(set(ids[(kind, pattern)])))
            for (kind, pattern), n in counts.most_common(limit)]


# --- backends ----------------------------------------------------------------------------------
@dataclass
class BackendHealth:
    alias: str
    path: str
    sent_1h: int = 0
    failed_1h: int = 0
    sent_24h: int = 0
    failed_24h: int = 0
    retried_24h: int = 0
    throughput_per_minute: float = 0.0
    failure_rate: float | None = None
    latency_ms: float | None = None
    last_sent_at: datetime | None = None
    last_failed_at: datetime | None = None
    last_error: str = ""
    bounced_24h: int = 0
    complained_24h: int = 0

    @property
    def failure_percent(self) -> float | None:
        return None if self.failure_rate is None else self.failure_rate * 100

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("last_sent_at", "last_failed_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def backend_aliases() -> list[str]:
    return list(post_office_settings.backends)


def backend_health(now: datetime | None = None) -> list[BackendHealth]:
    """Per configured alias: last hour's throughput, last day's failure rate, latency per sent
    message over the last hour, last success and last error (plus aliases seen in the rollup)."""
    from ..events import bounce_and_complaint_counts

    now = now or timezone.now()
    hour = Q(bucket__gt=now - HOUR)
    grouped = (DeliveryStat.objects.filter(bucket__gt=now - DAY).order_by().values("backend_alias")
               .annotate(sent_24h=Sum("sent"), failed_24h=Sum("failed"), retried_24h=Sum("retried"),
                         sent_1h=Sum("sent", filter=hour), failed_1h=Sum("failed", filter=hour),
                         latency_1h=Sum("latency_ms", filter=hour)))
    sums = {row.pop("backend_alias"): row for row in grouped}
    paths = post_office_settings.backends
    events = bounce_and_complaint_counts(since=now - DAY)
    health = []
    for alias in [*paths, *sorted(set(sums) - set(paths))]:
        row = {key: value or 0 for key, value in sums.get(alias, {}).items()}
        item = BackendHealth(alias=alias, path=paths.get(alias, ""),
                             **{k: row.get(k, 0) for k in ("sent_1h", "failed_1h", "sent_24h", "failed_24h",
                                                           "retried_24h")})
        item.throughput_per_minute = round(item.sent_1h / 60, 2)
        attempts = item.sent_24h + item.failed_24h + item.retried_24h
        item.failure_rate = round((item.failed_24h + item.retried_24h) / attempts, 4) if attempts else None
        item.latency_ms = round(row.get("latency_1h", 0) / item.sent_1h, 1) if item.sent_1h else None
        mine = DeliveryStat.objects.filter(backend_alias=alias).order_by("-bucket")
        item.last_sent_at = (mine.filter(last_sent_at__isnull=False).values_list("last_sent_at", flat=True)
                             .first())
        failure = mine.filter(last_failed_at__isnull=False).values_list("last_failed_at", "last_error").first()
        if failure:
            item.last_failed_at, item.last_error = failure
        item.bounced_24h = events.get(alias, {}).get("bounced", 0)
        item.complained_24h = events.get(alias, {}).get("complained", 0)
        health.append(item)
    return health


def totals_by_backend() -> dict[str, dict[str, int]]:
    """All-time counters per alias (what the rollup holds), for Prometheus counters."""
    rows = (DeliveryStat.objects.order_by().values_list("backend_alias")
            .annotate(Sum("sent"), Sum("failed"), Sum("retried"), Sum("requeued")))
    return {alias: {"sent": s or 0, "failed": f or 0, "retried": r or 0, "requeued": q or 0}
            for alias, s, f, r, q in rows}


def log_tail(limit: int = 10) -> list[Log]:
    """The newest Logs (primary key order: no sort), with their email's recipients and subject."""
    return list(Log.objects.select_related("email").only(
        "id", "date", "status", "exception_type", "message", "email__id", "email__to", "email__subject",
        "email__backend_alias").order_by("-pk")[:limit])
