"""``{% load post_office_dashboard %}{% post_office_dashboard %}``: the operations dashboard, for
an admin index template of your own (the shipped index already includes it)."""

from __future__ import annotations

from django import template

from ..admin_ui.dashboard.context import dashboard_context

register = template.Library()


@register.inclusion_tag("post_office/admin/dashboard/dashboard.html", takes_context=True)
def post_office_dashboard(context) -> dict:
    request = context["request"]
    return {"request": request, "csrf_token": context.get("csrf_token"), **dashboard_context(request)}
