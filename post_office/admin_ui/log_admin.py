"""Delivery logs: read-only (they are the record of what happened, written by the dispatcher
and the console's operations, never by hand)."""

from __future__ import annotations

from django.contrib.admin import ShowFacets
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ..models import STATUS, Log
from .badges import DELIVERY_BADGES
from .paginator import EstimatedCountPaginator
from .views import log_status_label

LOG_BADGES = {STATUS.sent: "success", STATUS.failed: "danger", STATUS.queued: "info", STATUS.requeued: "warning",
              **DELIVERY_BADGES}  # provider events (bounces, complaints...) in the console's colours


class LogAdmin(ModelAdmin):
    list_display = ("date", "email_link", "status_badge", "exception_type", "message_excerpt")
    list_select_related = ("email",)
    list_filter = ("status",)
    search_fields = ("=email__id", "exception_type")
    search_help_text = _("An email id, or an exception type.")
    ordering = ("-id",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    fields = ("date", "email_link", "status_badge", "exception_type", "message")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @display(description=pgettext_lazy("email message", "Email"), ordering="email")
    def email_link(self, obj: Log):
        link = reverse(f"{self.admin_site.name}:post_office_email_change", args=[obj.email_id])
        return format_html('<a href="{}">#{} {}</a>', link, obj.email_id, Truncator(str(obj.email)).chars(50))

    @display(description=_("Status"), ordering="status", label=LOG_BADGES)
    def status_badge(self, obj: Log):
        return obj.status, log_status_label(obj.status)

    @display(description=_("Message"))
    def message_excerpt(self, obj: Log) -> str:
        return Truncator(obj.message).chars(100)
