"""SparkPost event webhooks: a JSON array of ``{"msys": {"<kind>_event": {...}}}`` batches.

Settings, ``POST_OFFICE['WEBHOOKS']['SPARKPOST']``: ``USERNAME`` and ``PASSWORD`` (the webhook's
basic authentication, both required) and ``VERIFY_SIGNATURE`` (True; False accepts anyone, for
local development only).

Emails are matched on ``rcpt_meta.message_id`` when the sender put its Message-ID into SparkPost
metadata (``X-MSYS-API: {"metadata": {"message_id": "<...>"}}``), else on SparkPost's
``message_id``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

from ..conf import post_office_settings
from ..models import RecipientDeliveryStatus as S
from .base import BaseWebhookHandler, ESPEvent, MalformedPayload

logger = logging.getLogger("post_office.webhooks")

#: SparkPost's bounce categories, by what they mean for the recipient's address.
SOFT_BOUNCE_CATEGORIES = {"Soft", "Block"}
UNDETERMINED_BOUNCE_CATEGORIES = {"Undetermined"}
HARD_BOUNCE_CATEGORIES = {"Hard", "Admin"}

#: SparkPost's bounce classification codes -> category (its "Bounce Classification Codes" table).
BOUNCE_CLASS_CATEGORIES = {
    1: "Undetermined",
    10: "Hard", 30: "Hard", 90: "Hard",  # invalid recipient, no RCPT, unsubscribe
    20: "Soft", 21: "Soft", 22: "Soft", 23: "Soft", 24: "Soft", 40: "Soft", 60: "Soft", 70: "Soft", 100: "Soft",
    50: "Block", 51: "Block", 52: "Block", 53: "Block", 54: "Block",
    25: "Admin", 26: "Admin", 80: "Admin",
}

EVENT_STATUSES = {
    "injection": S.ACCEPTED,
    "delay": S.DEFERRED,
    "delivery": S.DELIVERED,
    "open": S.OPENED, "initial_open": S.OPENED, "amp_open": S.OPENED, "amp_initial_open": S.OPENED,
    "click": S.CLICKED, "amp_click": S.CLICKED,
    "list_unsubscribe": S.UNSUBSCRIBED, "link_unsubscribe": S.UNSUBSCRIBED,
    "spam_complaint": S.SPAM_COMPLAINT,
}
BOUNCE_EVENTS = {"bounce", "out_of_band", "policy_rejection"}


def bounce_status(bounce_class: Any) -> S:
    """Hard, soft or undetermined bounce for a SparkPost ``bounce_class`` (unknown: undetermined,
    so an unfamiliar code never suppresses an address)."""
    try:
        category = BOUNCE_CLASS_CATEGORIES.get(int(bounce_class), "Undetermined")
    except (TypeError, ValueError):
        category = "Undetermined"
    if category in HARD_BOUNCE_CATEGORIES:
        return S.HARD_BOUNCED
    if category in SOFT_BOUNCE_CATEGORIES:
        return S.SOFT_BOUNCED
    return S.UNDETERMINED_BOUNCED


class SparkPostWebhookHandler(BaseWebhookHandler):
    """``path("webhooks/sparkpost/", SparkPostWebhookHandler.as_view())``."""

    provider = "sparkpost"

    def verify_signature(self, request: HttpRequest) -> bool:
        config = post_office_settings.webhook_config("SPARKPOST")
        if not config.get("VERIFY_SIGNATURE", True):
            return True
        username, password = config.get("USERNAME"), config.get("PASSWORD")
        if not username or not password:
            logger.error("SparkPost webhook refused: set POST_OFFICE['WEBHOOKS']['SPARKPOST'] USERNAME and "
                         "PASSWORD (or VERIFY_SIGNATURE False for local development).")
            return False
        scheme, _sep, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = f"{username}:{password}".encode()
        return hmac.compare_digest(given, expected)

    def parse_events(self, request: HttpRequest) -> list[ESPEvent]:
        payload = self.payload(request)
        if isinstance(payload, dict) and isinstance(payload.get("results"), list):
            payload = payload["results"]  # the shape of SparkPost's sample-events API
        if not isinstance(payload, list):
            raise MalformedPayload("body: expected a JSON array of SparkPost events")
        events = []
        for position, item in enumerate(payload):
            msys = item.get("msys") if isinstance(item, dict) else None
            if not isinstance(msys, dict):
                raise MalformedPayload(f"[{position}]: expected an object with an 'msys' object")
            for data in msys.values():  # one "<kind>_event" key; {} is SparkPost's test ping
                if isinstance(data, dict):
                    event = sparkpost_event(data)
                    if event is not None:
                        events.append(event)
        return events


def sparkpost_event(data: dict[str, Any]) -> ESPEvent | None:
    """One SparkPost event, or None for kinds that are not a delivery status (relay, generation...)."""
    kind = str(data.get("type") or "")
    if kind in BOUNCE_EVENTS:
        status = bounce_status(data.get("bounce_class"))
        raw = f"{kind} (class {data.get('bounce_class')})"
        detail = data.get("raw_reason") or data.get("reason") or ""
    elif kind in EVENT_STATUSES:
        status, raw = EVENT_STATUSES[kind], kind
        detail = data.get("target_link_url") or data.get("reason") or data.get("raw_reason") or ""
    else:
        return None
    recipient = data.get("rcpt_to") or data.get("raw_rcpt_to") or ""
    meta = data.get("rcpt_meta") if isinstance(data.get("rcpt_meta"), dict) else {}
    return ESPEvent(
        raw_event=raw, delivery_status=status, recipient=recipient,
        message_id=meta.get("message_id") or data.get("message_id"),
        timestamp=_timestamp(data.get("timestamp")), subject=data.get("subject"),
        to_addresses=[recipient] if recipient else None, detail=str(detail),
    )


def _timestamp(value: Any) -> datetime | None:
    """SparkPost sends Unix seconds as a string; newer payloads may send ISO 8601."""
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
