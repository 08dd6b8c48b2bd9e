"""Provider webhooks feeding per-recipient delivery statuses (see :mod:`post_office.events`)."""

from .base import STATUS_PRIORITY, BaseWebhookHandler, ESPEvent, MalformedPayload
from .ses import SESWebhookHandler
from .sparkpost import SparkPostWebhookHandler

__all__ = [
    "STATUS_PRIORITY",
    "BaseWebhookHandler",
    "ESPEvent",
    "MalformedPayload",
    "SESWebhookHandler",
    "SparkPostWebhookHandler",
]
