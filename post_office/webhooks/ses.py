"""Amazon SES events, delivered by an SNS topic subscription.

Settings, ``POST_OFFICE['WEBHOOKS']['SES']`` (all optional):

- ``VERIFY_SIGNATURE`` (True): check each message's SNS signature (needs ``cryptography``).
- ``TOPIC_ARNS`` ([]): when set, messages from other topics are refused (403).
- ``CONFIRM_SUBSCRIPTIONS`` (True): answer a ``SubscriptionConfirmation`` by fetching its
  ``SubscribeURL``, only from an Amazon SNS host.
- ``TEST_SNS_HOSTS`` ([]): ``host:port`` entries trusted like Amazon's, for test suites only.

Both SES notification flavours are read: classic notifications (``notificationType``: Bounce,
Complaint, Delivery) and configuration-set event publishing (``eventType``: Send, Delivery,
Bounce, Complaint, DeliveryDelay, Open, Click, Subscription). Emails are matched on the
``Message-ID`` header SES reports in ``mail.commonHeaders.messageId`` (``MESSAGE_ID_ENABLED``),
falling back to SES's own ``mail.messageId``.
"""

from __future__ import annotations

import json
import logging
import urllib.error
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from ..conf import post_office_settings
from ..models import RecipientDeliveryStatus as S
from . import sns
from .base import BaseWebhookHandler, ESPEvent, MalformedPayload

logger = logging.getLogger("post_office.webhooks")

SUBSCRIPTION_TYPES = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
BOUNCE_TYPES = {"Permanent": S.HARD_BOUNCED, "Transient": S.SOFT_BOUNCED, "Undetermined": S.UNDETERMINED_BOUNCED}


def _config() -> dict[str, Any]:
    return post_office_settings.webhook_config("SES")


def verify_ses_signature(payload: dict) -> bool:
    """True if the SNS message ``payload`` is signed by Amazon SNS (django-post_office's name)."""
    return sns.verify(payload, tuple(_config().get("TEST_SNS_HOSTS") or ()))


class SESWebhookHandler(BaseWebhookHandler):
    """SNS HTTP(S) endpoint for SES events: ``path("webhooks/ses/", SESWebhookHandler.as_view())``."""

    provider = "ses"

    def envelope(self, request: HttpRequest) -> dict[str, Any]:
        payload = self.payload(request)
        if not isinstance(payload, dict):
            raise MalformedPayload("body: expected an SNS message (a JSON object)")
        return payload

    def verify_signature(self, request: HttpRequest) -> bool:
        config, payload = _config(), self.envelope(request)
        topics = config.get("TOPIC_ARNS") or ()
        if topics and payload.get("TopicArn") not in topics:
            logger.warning("SNS message from topic %r, which is not in TOPIC_ARNS.", payload.get("TopicArn"))
            return False
        if not config.get("VERIFY_SIGNATURE", True):
            return True
        return verify_ses_signature(payload)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            kind = self.envelope(request).get("Type")
        except MalformedPayload:
            kind = None  # the base view answers it
        if kind not in SUBSCRIPTION_TYPES:
            return super().post(request, *args, **kwargs)
        if not self.verify_signature(request):
            return JsonResponse({"error": "invalid or missing signature"}, status=403)
        return self.subscription(self.envelope(request))

    def subscription(self, payload: dict[str, Any]) -> HttpResponse:
        """Confirm a new subscription (or note an unsubscription) of our endpoint to a topic."""
        topic = payload.get("TopicArn")
        if payload.get("Type") == "UnsubscribeConfirmation":
            logger.info("SNS unsubscribed this endpoint from %s.", topic)
            return JsonResponse({"status": "ok"})
        config, url = _config(), payload.get("SubscribeURL") or ""
        if not config.get("CONFIRM_SUBSCRIPTIONS", True):
            logger.info("SNS subscription to %s awaits manual confirmation: %s", topic, url)
            return JsonResponse({"status": "confirmation pending"})
        if not sns.is_trusted_url(url, tuple(config.get("TEST_SNS_HOSTS") or ())):
            logger.warning("SNS SubscribeURL %r is not on an Amazon SNS host; not confirming.", url)
            return JsonResponse({"error": "SubscribeURL: not an Amazon SNS URL"}, status=400)
        try:
            sns.fetch(url)
        except (OSError, urllib.error.URLError) as exc:
            logger.warning("Confirming the SNS subscription to %s failed: %s", topic, exc)
            return JsonResponse({"error": f"confirming the subscription failed: {exc}"}, status=502)
        logger.info("Confirmed the SNS subscription to %s.", topic)
        return JsonResponse({"status": "subscription confirmed"})

    def parse_events(self, request: HttpRequest | dict) -> list[ESPEvent]:
        payload = request if isinstance(request, dict) else self.envelope(request)
        if payload.get("Type") != "Notification":
            raise MalformedPayload(f"Type: expected 'Notification', got {payload.get('Type')!r}")
        try:
            message = json.loads(payload.get("Message") or "")
        except (TypeError, json.JSONDecodeError):
            # SNS console test messages and topic checks are plain text: nothing to record.
            logger.info("SNS notification without an SES event (%.80r); ignored.", payload.get("Message"))
            return []
        if not isinstance(message, dict):
            raise MalformedPayload("Message: expected a JSON object")
        return ses_events(message)


def ses_events(message: dict[str, Any]) -> list[ESPEvent]:
    """The events of one SES notification (the decoded SNS ``Message``)."""
    kind = message.get("notificationType") or message.get("eventType") or ""
    mail = message.get("mail") or {}
    headers = mail.get("commonHeaders") or {}
    destination = list(mail.get("destination") or [])

    def event(raw: str, status: int, recipient: str, section: dict, detail: str = "") -> ESPEvent:
        return ESPEvent(
            raw_event=raw, delivery_status=S(status), recipient=recipient,
            message_id=headers.get("messageId") or mail.get("messageId"),
            timestamp=_timestamp(section.get("timestamp") or mail.get("timestamp")),
            subject=headers.get("subject"), to_addresses=destination, detail=detail,
        )

    if kind == "Bounce":
        bounce = message.get("bounce") or {}
        bounce_type = bounce.get("bounceType") or "Undetermined"
        status = BOUNCE_TYPES.get(bounce_type, S.UNDETERMINED_BOUNCED)
        raw = f"Bounce:{bounce_type}:{bounce.get('bounceSubType') or ''}".rstrip(":")
        return [event(raw, status, r.get("emailAddress", ""), bounce,
                      r.get("diagnosticCode") or r.get("status") or "")
                for r in bounce.get("bouncedRecipients") or [] if r.get("emailAddress")]
    if kind == "Complaint":
        complaint = message.get("complaint") or {}
        return [event("Complaint", S.SPAM_COMPLAINT, r.get("emailAddress", ""), complaint,
                      complaint.get("complaintFeedbackType") or "")
                for r in complaint.get("complainedRecipients") or [] if r.get("emailAddress")]
    if kind == "Delivery":
        delivery = message.get("delivery") or {}
        return [event("Delivery", S.DELIVERED, r, delivery, delivery.get("smtpResponse") or "")
                for r in delivery.get("recipients") or destination]
    if kind == "DeliveryDelay":
        delay = message.get("deliveryDelay") or {}
        return [event("DeliveryDelay", S.DEFERRED, r.get("emailAddress", ""), delay,
                      r.get("diagnosticCode") or delay.get("delayType") or "")
                for r in delay.get("delayedRecipients") or [] if r.get("emailAddress")]
    if kind == "Subscription" and not _opted_out(message.get("subscription") or {}):
        return []  # a subscription, or a change of topics that still receives mail
    # Send, Open, Click and Subscription name no recipient: they concern every destination.
    simple = {"Send": (S.ACCEPTED, "send"), "Open": (S.OPENED, "open"), "Click": (S.CLICKED, "click"),
              "Subscription": (S.UNSUBSCRIBED, "subscription")}
    if kind in simple:
        status, key = simple[kind]
        section = message.get(key) or {}
        detail = section.get("link") or section.get("userAgent") or ""
        return [event(kind, status, r, section, detail) for r in destination]
    logger.debug("SES %r events are not delivery statuses; ignored.", kind)
    return []


def _opted_out(subscription: dict[str, Any]) -> bool:
    preferences = subscription.get("newTopicPreferences") or {}
    topics = preferences.get("topicSubscriptionStatus") or []
    return bool(preferences.get("unsubscribeAll")) or any(t.get("subscriptionStatus") == "OptOut" for t in topics)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
