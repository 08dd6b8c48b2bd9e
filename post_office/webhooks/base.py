"""The view every provider's webhook shares: verify, parse, record.

A subclass implements :meth:`BaseWebhookHandler.verify_signature` and
:meth:`BaseWebhookHandler.parse_events`. The default :meth:`~BaseWebhookHandler.handle_events`
records the events (:func:`post_office.events.record_events`); projects that subclassed
django-post_office's handlers to persist events themselves keep their override.

Answers: 403 when the request is not authentic (nothing is read further, nothing written),
400 when the body is not the provider's JSON, 200 otherwise, including for events about
unknown emails (ignored, logged at INFO), so the provider does not retry them forever.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..events import STATUS_RANK, ESPEvent, record_events
from ..models import RecipientDeliveryStatus

logger = logging.getLogger("post_office.webhooks")

__all__ = ["STATUS_PRIORITY", "BaseWebhookHandler", "ESPEvent", "MalformedPayload"]

#: django-post_office's name for the ranking, with its convention (lower number wins) and our
#: order (see :data:`post_office.events.STATUS_RANK`: bounces and complaints outrank clicks).
STATUS_PRIORITY: dict[RecipientDeliveryStatus, int] = {
    RecipientDeliveryStatus(status): position
    for position, status in enumerate(sorted(STATUS_RANK, key=STATUS_RANK.get, reverse=True), start=1)
}

_PAYLOAD_ATTR = "_post_office_webhook_payload"
#: Largest body read. Providers batch thousands of events per POST (10,000 SparkPost events are
#: about 8 MB), past Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which is sized for forms.
MAX_BODY_BYTES = 32 * 1024 * 1024


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        pass  # the stream is still unread: read it ourselves, with our own cap
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise MalformedPayload(f"body: larger than {MAX_BODY_BYTES} bytes")
    return body


class MalformedPayload(ValueError):
    """The body is not what the provider sends; the message says what is wrong (answered 400)."""


@method_decorator(csrf_exempt, name="dispatch")
class BaseWebhookHandler(View):
    """Base class-based view for provider webhooks (POST only)."""

    http_method_names = ["post"]
    #: Names the provider in Log rows and in ``POST_OFFICE['WEBHOOKS']``.
    provider = ""

    def verify_signature(self, request: HttpRequest) -> bool:
        """True if ``request`` really comes from the provider. Must be overridden."""
        raise NotImplementedError(f"{type(self).__name__} must implement verify_signature()")

    def parse_events(self, request: HttpRequest) -> list[ESPEvent]:
        """The request's events, normalized. Raise :class:`MalformedPayload` for a bad body."""
        raise NotImplementedError(f"{type(self).__name__} must implement parse_events()")

    def handle_events(self, events: list[ESPEvent], payload: Any) -> None:
        """Record ``events``; override to do something else with them (call super to also record)."""
        self.recorded = record_events(events, provider=self.provider)

    def payload(self, request: HttpRequest) -> Any:
        """The JSON body, parsed once per request."""
        if not hasattr(request, _PAYLOAD_ATTR):
            try:
                value = json.loads(_body(request))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise MalformedPayload(f"body: not valid JSON ({exc})") from None
            setattr(request, _PAYLOAD_ATTR, value)
        return getattr(request, _PAYLOAD_ATTR)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if not self.verify_signature(request):
                logger.warning("%s webhook: rejected a request that failed authentication.", self.provider)
                return JsonResponse({"error": "invalid or missing signature"}, status=403)
            events = self.parse_events(request)
        except MalformedPayload as exc:
            logger.warning("%s webhook: malformed payload: %s", self.provider, exc)
            return JsonResponse({"error": str(exc)}, status=400)
        self.recorded = None
        self.handle_events(events, self.payload(request))
        body: dict[str, Any] = {"status": "ok", "processed": len(events)}
        if self.recorded is not None:
            body.update(matched=self.recorded.matched, ignored=self.recorded.unknown)
        return JsonResponse(body)
