"""``path("webhooks/", include("post_office.webhooks.urls"))`` wires both provider endpoints,
under the URL names django-post_office's documentation uses."""

from __future__ import annotations

from django.urls import path

from .ses import SESWebhookHandler
from .sparkpost import SparkPostWebhookHandler

urlpatterns = [
    path("ses/", SESWebhookHandler.as_view(), name="ses-webhook"),
    path("sparkpost/", SparkPostWebhookHandler.as_view(), name="sparkpost-webhook"),
]
