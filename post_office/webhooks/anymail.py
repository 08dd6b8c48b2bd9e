"""django-anymail's ``tracking`` signal fed into :func:`post_office.events.record_events`.

Anymail normalizes the webhooks of every provider it supports (Mailgun, Postmark, SendGrid,
Brevo, Resend, ...); receiving its signal gives all of them delivery statuses. Connected at start-up
when anymail is installed; ``POST_OFFICE['WEBHOOKS']['ANYMAIL'] = {'ENABLED': False}`` turns it
off. Emails are matched on ``event.metadata['message_id']`` when the sender set it, else on
``event.message_id`` (brackets ignored): the Message-ID header for providers that report it
(Mailgun, ...), the provider's own id otherwise.
"""

from __future__ import annotations

from typing import Any

from ..conf import post_office_settings
from ..events import ESPEvent, record_events
from ..models import RecipientDeliveryStatus as S

# anymail event_type -> status; 'bounced', 'rejected' and 'failed' depend on reject_reason.
EVENT_STATUSES = {
    "queued": S.ACCEPTED,
    "sent": S.ACCEPTED,
    "deferred": S.DEFERRED,
    "delivered": S.DELIVERED,
    "opened": S.OPENED,
    "clicked": S.CLICKED,
    "unsubscribed": S.UNSUBSCRIBED,
    "complained": S.SPAM_COMPLAINT,
    "failed": S.UNDETERMINED_BOUNCED,
}
# reject_reason of a 'bounced' or 'rejected' event -> status (other reasons: undetermined).
REJECT_REASONS = {
    "invalid": S.HARD_BOUNCED,
    "bounced": S.HARD_BOUNCED,
    "timed_out": S.SOFT_BOUNCED,
    "blocked": S.SOFT_BOUNCED,
    "spam": S.SPAM_COMPLAINT,
    "unsubscribed": S.UNSUBSCRIBED,
}


def delivery_status(event_type: str, reject_reason: str | None) -> S | None:
    """The status of an anymail event; None for events that are not one (inbound, subscribed...)."""
    if event_type == "bounced":
        # A bounce without a reason is the common permanent case (anymail's own reading).
        return REJECT_REASONS.get(reject_reason or "bounced", S.UNDETERMINED_BOUNCED)
    if event_type == "rejected":
        return REJECT_REASONS.get(reject_reason or "", S.UNDETERMINED_BOUNCED)
    return EVENT_STATUSES.get(event_type)


def to_esp_event(event: Any) -> ESPEvent | None:
    """An ``anymail.signals.AnymailTrackingEvent`` as an :class:`ESPEvent`."""
    status = delivery_status(event.event_type, event.reject_reason)
    if status is None:
        return None
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    detail = event.click_url or event.mta_response or event.description or ""
    return ESPEvent(
        raw_event=event.event_type + (f":{event.reject_reason}" if event.reject_reason else ""),
        delivery_status=status, recipient=event.recipient or "",
        message_id=metadata.get("message_id") or event.message_id,
        timestamp=event.timestamp, to_addresses=[event.recipient] if event.recipient else None,
        detail=str(detail),
    )


def tracking_receiver(sender: Any, event: Any, esp_name: str = "", **kwargs: Any) -> None:
    """Receiver of ``anymail.signals.tracking``."""
    if not post_office_settings.webhook_config("ANYMAIL").get("ENABLED", True):
        return
    converted = to_esp_event(event)
    if converted is not None:
        record_events([converted], provider=f"anymail:{esp_name.lower()}" if esp_name else "anymail")


def connect() -> bool:
    """Connect :func:`tracking_receiver` if django-anymail is installed; True if it was."""
    try:
        from anymail.signals import tracking
    except ImportError:
        return False
    tracking.connect(tracking_receiver, dispatch_uid="post_office.webhooks.anymail")
    return True
