"""Attachments: name, type, size and how many emails share each one."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ..models import Attachment


class AttachmentAdmin(ModelAdmin):
    list_display = ("name", "mimetype", "size", "email_count")
    search_fields = ("name", "mimetype")
    ordering = ("-id",)
    fields = ("name", "file", "mimetype", "headers", "size", "email_count")
    readonly_fields = ("size", "email_count")
    raw_id_fields = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # One aggregate in the list query, not one COUNT per row.
        return super().get_queryset(request).annotate(email_count=Count("emails", distinct=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # attachments come with emails (mail.send(attachments=...))

    @display(description=_("Size"))
    def size(self, obj: Attachment) -> str:
        try:
            return filesizeformat(obj.file.size)
        except (OSError, ValueError):
            return _("file missing")

    @display(description=_("Emails"), ordering="email_count")
    def email_count(self, obj: Attachment) -> int:
        return obj.email_count
