"""The Email console: list, detail and the URLs of its views.

Emails are read-only here (``has_change_permission`` is False): they change through the actions
(requeue, resend, cancel), which keep the Log in step, never through a form.
"""

from __future__ import annotations

from django.contrib.admin import ShowFacets
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display
from unfold.views import ChangeList

from ..models import Email
from ..search import search_emails
from . import views
from .actions import EmailActionsMixin
from .badges import STATUS_BADGES, badge, delivery_badge
from .detail import detail_context
from .filters import (
    BackendFilter,
    CreatedRangeFilter,
    DeliveryStatusFilter,
    FailedLogFilter,
    LanguageFilter,
    ScheduleFilter,
    TemplateFilter,
)
from .paginator import EstimatedCountPaginator


def _when(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "-"


# Bodies and context can be large: a page of 50 rows must not drag 50 HTML bodies along.
LIST_DEFERRED_FIELDS = ("message", "html_message", "context", "headers")


class EmailChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters=None) -> QuerySet:
        return super().get_queryset(request, exclude_parameters).defer(*LIST_DEFERRED_FIELDS)


class EmailAdmin(EmailActionsMixin, ModelAdmin):
    # Few columns, some combined: unfold renders every cell with the whole header row, so cost
    # grows with columns squared (see bench/console_bench.py).
    list_display = (
        "id", "recipients", "short_subject", "status_badges", "priority", "backend",
        "template_language", "created_updated", "number_of_retries",
    )
    list_display_links = ("id", "recipients")
    list_select_related = ("template",)
    list_filter = (
        ("status", ChoicesDropdownFilter),
        ("priority", ChoicesDropdownFilter),
        BackendFilter,
        TemplateFilter,
        LanguageFilter,
        ("created", CreatedRangeFilter),
        ScheduleFilter,
        FailedLogFilter,
        DeliveryStatusFilter,
    )
    list_filter_submit = True
    search_fields = ("to",)  # shows the search box; the lookups are search_emails
    search_help_text = _("An address (To, Cc, Bcc), words of the subject, or a Message-ID.")
    ordering = ("-id",)  # the primary key index: newest first without a sort
    list_per_page = 50
    paginator = EstimatedCountPaginator
    show_full_result_count = False  # no second COUNT(*) of the whole table
    show_facets = ShowFacets.NEVER  # facets count every filter choice on every page view
    fieldsets = (
        (_("Envelope"), {"classes": ["tab"], "fields": (
            "from_email", "to_list", "cc_list", "bcc_list", "subject", "message_id", "headers_display")}),
        (_("Delivery"), {"classes": ["tab"], "fields": (
            "priority", "backend_alias", "template_link", "language", "scheduled_time", "expires_at",
            "number_of_retries", "recipient_delivery_status", "created", "last_updated")}),
    )
    readonly_fields = ("to_list", "cc_list", "bcc_list", "headers_display", "template_link", "language",
                       "created", "last_updated")
    # Status and content first (what support staff open an email for), the envelope below.
    change_form_outer_before_template = "post_office/admin/email_detail_top.html"

    class Media:
        js = ("post_office/load_errors.js",)  # the live status says when it could not refresh

    # --- permissions: read-only, no add ------------------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_changelist(self, request: HttpRequest, **kwargs):
        return EmailChangeList

    # --- list columns ------------------------------------------------------------------------
    @display(description=_("Recipients"), ordering="to")
    def recipients(self, obj: Email) -> str:
        return Truncator(", ".join(obj.to or obj.cc or obj.bcc)).chars(60)

    @display(description=_("Subject"))
    def short_subject(self, obj: Email) -> str:
        if obj.template_id and not obj.subject:
            return _("(rendered on delivery)")
        return Truncator(obj.subject).chars(80)

    @display(description=_("Status / delivery"), ordering="status")
    def status_badges(self, obj: Email) -> str:
        badges = [badge(obj.get_status_display() if obj.status is not None else "-",
                        STATUS_BADGES.get(obj.status, ""))]
        if obj.recipient_delivery_status is not None:
            # The email's best status over its recipients, as stored: no query per row.
            badges.append(delivery_badge(obj.recipient_delivery_status,
                                         obj.get_recipient_delivery_status_display()))
        return format_html_join(" ", "{}", ((b,) for b in badges))

    @display(description=_("Backend"), ordering="backend_alias")
    def backend(self, obj: Email) -> str:
        return obj.backend_alias or "default"

    @display(description=_("Template / language"))
    def template_language(self, obj: Email) -> str:
        if not obj.template_id:
            return "-"
        return f"{obj.template.name} · {obj.template.language}" if obj.template.language else obj.template.name

    @display(description=_("Created / updated"), ordering="id")
    def created_updated(self, obj: Email) -> str:
        return format_html('{}<br><span class="text-xs">{}</span>', _when(obj.created), _when(obj.last_updated))

    @display(description=_("Language"))
    def language(self, obj: Email) -> str:
        return (obj.template.language or "-") if obj.template_id else "-"

    # --- detail fields -----------------------------------------------------------------------
    @display(description=_("To"))
    def to_list(self, obj: Email) -> str:
        return ", ".join(obj.to) or "-"

    @display(description=_("Cc"))
    def cc_list(self, obj: Email) -> str:
        return ", ".join(obj.cc) or "-"

    @display(description=_("Bcc"))
    def bcc_list(self, obj: Email) -> str:
        return ", ".join(obj.bcc) or "-"

    @display(description=_("Headers"))
    def headers_display(self, obj: Email) -> str:
        return "; ".join(f"{name}: {value}" for name, value in (obj.headers or {}).items()) or "-"

    @display(description=_("Template"))
    def template_link(self, obj: Email):
        if not obj.template_id:
            return "-"
        link = reverse(f"{self.admin_site.name}:post_office_emailtemplate_change", args=[obj.template_id])
        return format_html('<a href="{}">{}</a>', link, obj.template)

    # --- search: one indexed or cheap predicate per kind of term -------------------------------
    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        return search_emails(queryset, search_term), False

    # --- detail page -------------------------------------------------------------------------
    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        email = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if email is not None and self.has_view_permission(request, email):
            extra_context.update(detail_context(self, email))
            extra_context["title"] = _("Email #%(id)s") % {"id": email.pk}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if request.method == "POST":
            self.check_operation_permission(request)
        return super().changelist_view(request, extra_context)

    # --- extra URLs --------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        info = "post_office_email"
        return [
            path("<int:object_id>/preview/", wrap(self.preview_view), name=f"{info}_preview"),
            path("<int:object_id>/inline/<int:index>/", self.inline_image_view, name=f"{info}_inline_image"),
            path("<int:object_id>/eml/", wrap(self.eml_view), name=f"{info}_eml"),
            path("<int:object_id>/attachment/<int:attachment_id>/", wrap(self.attachment_view),
                 name=f"{info}_attachment"),
            path("<int:object_id>/live/", wrap(self.live_view), name=f"{info}_live"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return views.preview(self, request, object_id)

    def inline_image_view(self, request: HttpRequest, object_id: int, index: int) -> HttpResponse:
        if request.GET.get("t"):
            # From inside the sandbox: no session cookie, a signed token instead (see access.py).
            return views.inline_image(self, request, object_id, index)
        return self.admin_site.admin_view(self._inline_image_with_session)(request, object_id, index)

    def _inline_image_with_session(self, request: HttpRequest, object_id: int, index: int) -> HttpResponse:
        return views.inline_image(self, request, object_id, index)

    def eml_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return views.eml(self, request, object_id)

    def attachment_view(self, request: HttpRequest, object_id: int, attachment_id: int) -> HttpResponse:
        return views.attachment(self, request, object_id, attachment_id)

    def live_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return views.live(self, request, object_id)
