"""Turning an admin change form response back into the POST data a browser would send."""

from __future__ import annotations

from typing import Any


def _add_form(data: dict[str, Any], form) -> None:
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        data[bound.html_name] = "on" if value is True else value


def form_data(response) -> dict[str, Any]:
    data: dict[str, Any] = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        _add_form(data, inline.formset.management_form)
        for form in inline.formset.forms:
            _add_form(data, form)
    return data


def inline_prefix(response, verbose_name: str) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if str(inline.opts.verbose_name) == verbose_name:
            return inline.formset.prefix
    raise AssertionError(f"no inline {verbose_name!r}")


def change_url(template) -> str:
    return f"/admin/post_office/emailtemplate/{template.pk}/change/"


def studio_url(template, suffix: str) -> str:
    return f"/admin/post_office/emailtemplate/{template.pk}/{suffix}"
