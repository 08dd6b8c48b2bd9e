"""The per-backend page (the Delivery statistics entry of the admin) and the dashboard's URLs.

Registering also makes the admin index show the dashboard (``AdminSite.index_template``), unless
the project set its own index template; see :func:`register`.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from unfold.admin import ModelAdmin

from ...conf import post_office_settings
from ...models import DeliveryStat
from ...stats import queries
from ..readonly import ReadOnlyAdminMixin
from . import views
from .context import TEST_CONNECTION, VIEW_EMAIL, live

INDEX_TEMPLATE = "post_office/admin/dashboard/index.html"


class DeliveryStatAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Not a list of rows: its changelist is the per-backend health page. Read-only; seeing it
    takes the view permission on emails, like the dashboard."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm(VIEW_EMAIL)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/requeue/", wrap(views.requeue_reason), name="post_office_dashboard_requeue"),
            path("dashboard/<slug:name>/", wrap(views.part), name="post_office_dashboard_part"),
            path("test/<str:alias>/", wrap(views.test_connection), name="post_office_backend_test"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Backends"),
            "opts": self.model._meta,
            "health": queries.backend_health(timezone.now()),
            "aliases": list(post_office_settings.backends),
            "can_test": request.user.has_perm(TEST_CONNECTION),
            "backends_live": live("backends"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "post_office/admin/dashboard/backends.html", context)


def register(site: admin.AdminSite = admin.site) -> None:
    if not site.is_registered(DeliveryStat):
        site.register(DeliveryStat, DeliveryStatAdmin)
    # The dashboard template extends "admin/index.html", so a project's own index (or unfold's)
    # still renders below it; a project that set index_template keeps its choice.
    if site.index_template is None:
        site.index_template = INDEX_TEMPLATE
