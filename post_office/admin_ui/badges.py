"""Badge colours of the console: one mapping from an email's status or a recipient's delivery
status to unfold's label kinds, shared by the list, the detail page and the suppression list."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join

from ..models import STATUS, RecipientDeliveryStatus

S = RecipientDeliveryStatus

STATUS_BADGES = {
    STATUS.sent: "success", STATUS.failed: "danger", STATUS.queued: "info", STATUS.requeued: "warning",
}
#: Engagement is green; a delay or a bounce that may pass is amber; red is for what says "stop
#: mailing this address" (hard bounce, complaint, unsubscribe), the statuses staff must act on.
DELIVERY_BADGES = {
    S.ACCEPTED: "info", S.DELIVERED: "success", S.OPENED: "success", S.CLICKED: "success",
    S.DEFERRED: "warning", S.SOFT_BOUNCED: "warning", S.UNDETERMINED_BOUNCED: "warning",
    S.HARD_BOUNCED: "danger", S.SPAM_COMPLAINT: "danger", S.UNSUBSCRIBED: "danger",
}
BADGE_CLASSES = {
    "success": "bg-green-100 text-green-700 dark:bg-green-500/20 dark:text-green-400",
    "danger": "bg-red-100 text-red-700 dark:bg-red-500/20 dark:text-red-400",
    "info": "bg-blue-100 text-blue-700 dark:bg-blue-500/20 dark:text-blue-400",
    "warning": "bg-orange-100 text-orange-700 dark:bg-orange-500/20 dark:text-orange-400",
    "": "bg-base-500/8 text-base-700 dark:bg-base-500/20 dark:text-base-200",
}


def badge(text: str, kind: str, **data: str) -> str:
    """unfold's label look (its classes), without a template render per cell; ``data`` becomes
    ``data-*`` attributes (tests and scripts find badges by them)."""
    attrs = format_html_join("", ' data-{}="{}"', ((name.replace("_", "-"), value) for name, value in data.items()))
    return format_html(
        '<span class="inline-block font-semibold h-6 leading-6 px-2 rounded-default text-[11px] uppercase '
        'whitespace-nowrap {}"{}>{}</span>', BADGE_CLASSES.get(kind, BADGE_CLASSES[""]), attrs, text)


def delivery_badge(status: int | None, label: str) -> str:
    return badge(label, DELIVERY_BADGES.get(status, ""), delivery_status=str(status))
