"""The EmailTemplate console: list, editor with translation tabs, preview, test send, history,
import/export. An adapter: rules live in :mod:`post_office.templates_service`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, JSON, YAML
from unfold.admin import ModelAdmin
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display

from ...models import STATUS, Email, EmailTemplate
from ...templates_service import history
from ...templates_service.validation import language_label, variable_warnings
from . import views
from .forms import DefaultTemplateForm, StudioImportForm
from .inlines import NewTranslationInline, language_inline, missing_languages, present_languages
from .resources import EmailTemplateResource
from .widgets import monospace

SENT_WINDOW = timedelta(days=30)
PERM = "post_office.%s_emailtemplate"


class EmailTemplateStudioAdmin(ModelAdmin, ImportExportModelAdmin):
    form = DefaultTemplateForm
    list_display = ("name", "summary", "languages", "last_updated", "sent_last_30_days")
    search_fields = ("name", "description", "subject")
    fieldsets = ((None, {"fields": ("name", "description", "subject", "content", "html_content")}),)
    change_form_after_template = "post_office/admin/studio/preview_panel.html"
    actions_detail = ("send_test_action", "history_action")
    resource_classes = [EmailTemplateResource]
    import_form_class = StudioImportForm
    export_form_class = ExportForm
    formats = [JSON, YAML, CSV]

    class Media:
        css = {"all": ("post_office/studio/studio.css",)}
        js = ("post_office/studio/size_guard.js", "post_office/load_errors.js")

    # --- permissions ----------------------------------------------------------------------------
    def has_import_permission(self, request: HttpRequest) -> bool:
        # Importing creates and overwrites templates: it needs those rights as well as its own.
        return all(request.user.has_perm(PERM % p) for p in ("import", "add", "change"))

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_send_test_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERM % "send_test")

    def has_restore_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERM % "restore") and request.user.has_perm(PERM % "change")

    # --- list ----------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest):
        since = timezone.now() - SENT_WINDOW
        sent = (
            Email.objects.filter(Q(template=OuterRef("pk")) | Q(template__default_template=OuterRef("pk")),
                                 status=STATUS.sent, created__gte=since)
            .order_by().values("status").annotate(total=Count("pk")).values("total")
        )
        translations = Prefetch("translated_templates", queryset=EmailTemplate.objects.only(
            "pk", "language", "default_template_id").order_by())
        return (
            super().get_queryset(request).filter(default_template__isnull=True)
            .annotate(sent_30d=Coalesce(Subquery(sent, output_field=IntegerField()), 0))
            .prefetch_related(translations)
        )

    @display(description=gettext_lazy("Description"))
    def summary(self, obj: EmailTemplate) -> str:
        text = obj.description or ""
        return text if len(text) <= 80 else text[:79] + "…"

    @display(description=gettext_lazy("Languages"))
    def languages(self, obj: EmailTemplate) -> SafeString:
        present = {t.language for t in obj.translated_templates.all()}
        badges = [("success", _("Default"), _("The default template"))]
        for code, label in settings.LANGUAGES:
            if code in present:
                badges.append(("success", code, label))
            else:
                badges.append(("", code, _("%(language)s missing: the default is sent") % {"language": label}))
        badges += [("warning", code, _("Not in settings.LANGUAGES")) for code in sorted(present - {
            c for c, _l in settings.LANGUAGES})]
        return format_html_join(" ", "{}", ((render_to_string(
            "post_office/admin/studio/language_badge.html",
            {"variant": variant, "text": text, "title": title, "missing": variant == ""}),)
            for variant, text, title in badges))

    @display(description=gettext_lazy("Sent (30 days)"), ordering="sent_30d")
    def sent_last_30_days(self, obj: EmailTemplate) -> int:
        return obj.sent_30d

    # --- editor --------------------------------------------------------------------------------
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return monospace(super().formfield_for_dbfield(db_field, request, **kwargs), db_field.name)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        # The sample context is edited in the preview panel beside the preview, not in a fieldset.
        fields = kwargs.get("fields")
        if fields is not None and "sample_context" not in fields:
            kwargs["fields"] = [*fields, "sample_context"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list:
        classes = [language_inline(code) for code in present_languages(obj)]
        if missing_languages(obj):
            classes.append(NewTranslationInline)
        instances = []
        for inline_class in classes:
            inline = inline_class(self.model, self.admin_site)
            if not (inline.has_view_or_change_permission(request, obj) or inline.has_add_permission(request, obj)):
                continue
            if not inline.has_add_permission(request, obj):
                inline.max_num = 0
            instances.append(inline)
        return instances

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), **views.studio_context(self, request, object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Any = None) -> HttpResponse:
        context = {**context, **views.size_guard_context()}
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: EmailTemplate, form, change: bool) -> None:
        old_name = form.initial.get("name", "") if change else ""
        if change:
            history.ensure_baseline(obj.pk)
        super().save_model(request, obj, form, change)
        if change and old_name and old_name != obj.name:
            history.rename_family(obj, old_name)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        default = form.instance
        history.record_version(default, request.user, _("Edited") if change else _("Created"))
        translations = list(EmailTemplate.objects.filter(default_template=default))
        for warning in variable_warnings(default, translations):
            messages.warning(request, _("%(language)s: %(message)s") % {
                "language": language_label(warning.language), "message": warning.message})

    # --- detail actions (unfold) -----------------------------------------------------------------
    @action(description=gettext_lazy("Send a test"), url_path="send-test", icon="send",
            permissions=["send_test"])
    def send_test_action(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return views.send_test(self, request, object_id)

    @action(description=gettext_lazy("Versions"), url_path="history", icon="history")
    def history_action(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return views.history_view(self, request, object_id)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/studio/preview/", wrap(views.preview(self)), name=f"{info}_studio_preview"),
            path("<path:object_id>/studio/preview/<str:token>/", wrap(views.preview_frame(self)),
                 name=f"{info}_studio_preview_frame"),
            path("<path:object_id>/studio/preview/<str:token>/image/<int:index>/",
                 self.studio_preview_image_view, name=f"{info}_studio_preview_image"),
            path("<path:object_id>/studio/restore/<int:number>/", wrap(views.restore(self)),
                 name=f"{info}_studio_restore"),
            *super().get_urls(),
        ]

    def studio_preview_image_view(self, request: HttpRequest, object_id: str, token: str,
                                  index: int) -> HttpResponse:
        if request.GET.get("t"):
            # From inside the sandbox: no session cookie, a signed token instead (see access.py).
            return views.preview_image(self, request, object_id, token, index)
        return self.admin_site.admin_view(self._studio_preview_image_with_session)(request, object_id, token, index)

    def _studio_preview_image_with_session(self, request: HttpRequest, object_id: str, token: str,
                                           index: int) -> HttpResponse:
        return views.preview_image(self, request, object_id, token, index)

    # --- import ----------------------------------------------------------------------------------
    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = super().get_import_data_kwargs(**kwargs)
        # The confirm step must be all-or-nothing too, should the data have changed since the dry run.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            messages.error(request, _("The import was not applied: some rows are invalid. Nothing was changed."))
            return views.redirect_to(self, "import")
        return super().process_result(result, request)
