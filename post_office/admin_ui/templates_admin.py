"""A basic EmailTemplate admin so the console is complete; the full template editor (preview
per language, send a test, import/export) replaces this module."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, StackedInline

from ..models import EmailTemplate


class TranslationInline(StackedInline):
    model = EmailTemplate
    fk_name = "default_template"
    extra = 0
    fields = ("language", "subject", "content", "html_content")
    verbose_name = _("Translation")
    verbose_name_plural = _("Translations")


class EmailTemplateAdmin(ModelAdmin):
    list_display = ("name", "description", "subject", "languages", "last_updated")
    search_fields = ("name", "description", "subject")
    fields = ("name", "description", "subject", "content", "html_content")
    inlines = (TranslationInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Translations are edited inline with their default template, not listed on their own.
        return super().get_queryset(request).filter(default_template__isnull=True).prefetch_related(
            "translated_templates")

    @staticmethod
    def languages(obj: EmailTemplate) -> str:
        return ", ".join(t.language for t in obj.translated_templates.all()) or "-"
