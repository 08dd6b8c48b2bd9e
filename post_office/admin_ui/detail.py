"""What the email detail page shows besides its fields: the tabs (preview, text, source,
attachments, delivery events, log timeline) and the live status bar. Built once per page view, with a constant
number of queries whatever the email holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from ..errors import PostOfficeError
from ..events import events_for_email, outranks
from ..models import Email, RecipientDeliveryStatus
from ..rendering.message import build_message, rendered_parts
from .badges import DELIVERY_BADGES
from .views import live_context, url

if TYPE_CHECKING:
    from .email_admin import EmailAdmin

SOURCE_PREVIEW_CHARS = 200_000  # the tab shows this much; the .eml download has everything


def _source(email: Email) -> tuple[str, str]:
    try:
        raw = build_message(email).message().as_bytes()
    except PostOfficeError as exc:
        return "", _("The message cannot be built: %(error)s") % {"error": exc}
    text = raw.decode("utf-8", errors="replace")
    if len(text) > SOURCE_PREVIEW_CHARS:
        text = text[:SOURCE_PREVIEW_CHARS] + "\n…"
    return text, ""


def _text(email: Email) -> tuple[str, str]:
    try:
        # A template engine returns SafeString: the email's text must never count as safe HTML.
        return str.__str__(rendered_parts(email).text), ""
    except PostOfficeError as exc:
        return "", _("This email cannot be rendered: %(error)s") % {"error": exc}


def _size(attachment) -> int | None:
    try:
        return attachment.file.size
    except (OSError, ValueError):
        return None  # the file is gone: the list says so instead of failing


def delivery_events(email: Email) -> list[dict]:
    """Provider events grouped by recipient, each recipient with its best status (one query).

    The descriptions come from provider payloads: untrusted text, rendered escaped by the template.
    """
    labels = dict(RecipientDeliveryStatus.choices)
    recipients: dict[str, dict] = {}
    for event in events_for_email(email):
        entry = recipients.setdefault(event.recipient, {"recipient": event.recipient, "best": None, "events": []})
        # The same ranking as recipient_statuses(), applied to the rows already read.
        if outranks(event.status, entry["best"]):
            entry["best"] = event.status
        entry["events"].append({"date": event.date, "status": event.status, "label": event.status_label,
                                "kind": DELIVERY_BADGES.get(event.status, ""), "description": event.description})
    for entry in recipients.values():
        entry["best_label"] = str(labels[entry["best"]])
        entry["best_kind"] = DELIVERY_BADGES.get(entry["best"], "")
    return list(recipients.values())


def detail_context(model_admin: EmailAdmin, email: Email) -> dict:
    text, text_error = _text(email)
    source, source_error = _source(email)
    attachments = [
        {
            "name": item.name,
            "mimetype": item.mimetype,
            "size": _size(item),
            "inline": bool({key.lower() for key in (item.headers or {})} & {"content-id"}),
            "url": url(model_admin, "attachment", email.pk, item.pk),
        }
        for item in email.attachments.order_by("pk")
    ]
    delivery = delivery_events(email)
    return {
        "po": {
            "preview_url": url(model_admin, "preview", email.pk),
            "eml_url": url(model_admin, "eml", email.pk),
            "text": text,
            "text_error": text_error,
            "source": source,
            "source_error": source_error,
            "attachments": attachments,
            "delivery": delivery,
            "delivery_event_count": sum(len(entry["events"]) for entry in delivery),
            "render_on_delivery": bool(email.template_id and email.context is not None),
        },
        **live_context(model_admin, email),
    }
