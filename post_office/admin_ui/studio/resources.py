"""Import and export of templates with all their translations (django-import-export).

One row per language; the natural key is (name, language), '' being the default template.
Translations find their default by name, so defaults are imported first. Every row is checked
(syntax with the line, size, language in settings.LANGUAGES, the sample context's JSON) and the
admin applies nothing unless every row passes (see ``EmailTemplateStudioAdmin``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from ...models import EmailTemplate
from ...templates_service.history import record_version
from ...templates_service.sources import MAX_SOURCE_CHARS, MAX_SUBJECT_CHARS, SOURCE_FIELDS
from ...templates_service.validation import check_sources, language_error, parse_sample_context

COLUMNS = ("name", "language", "description", *SOURCE_FIELDS, "sample_context")


class SampleContextWidget(widgets.Widget):
    """The sample context as JSON text in every format (a CSV cell cannot hold an object)."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> dict | None:
        return parse_sample_context(value) or None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value in (None, {}) else json.dumps(value, ensure_ascii=False, sort_keys=True)


class EmailTemplateResource(resources.ModelResource):
    sample_context = fields.Field(attribute="sample_context", column_name="sample_context",
                                  widget=SampleContextWidget())

    class Meta:
        model = EmailTemplate
        name = "Email templates with their translations"
        fields = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("name", "language")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._oversized: dict[tuple[int, str], int] = {}

    # --- export ---------------------------------------------------------------------------------
    def filter_export(self, queryset, **kwargs: Any):
        """The selected templates and all their translations, defaults first."""
        ids = list(queryset.values_list("pk", flat=True))
        family = EmailTemplate.objects.filter(pk__in=ids) | EmailTemplate.objects.filter(default_template__in=ids)
        return family.order_by("name", "language")

    # --- import ---------------------------------------------------------------------------------
    def before_import(self, dataset, **kwargs: Any) -> None:
        headers = list(dataset.headers or [])
        if "name" not in headers:
            raise ValidationError(_("The file has no 'name' column (expected: %(columns)s).") % {
                "columns": ", ".join(COLUMNS)})
        rows = [list(row) for row in dataset]
        if "language" in headers:
            position = headers.index("language")
            # Stable: defaults first, so translations can find them by name.
            rows.sort(key=lambda row: bool(row[position]))
        # A huge cell would be echoed back in the error table; keep its size, not its text.
        for number, row in enumerate(rows, start=1):
            for position, column in enumerate(headers):
                value = row[position]
                limit = MAX_SUBJECT_CHARS if column == "subject" else MAX_SOURCE_CHARS
                if isinstance(value, str) and column in SOURCE_FIELDS and len(value) > limit:
                    self._oversized[(number, column)] = len(value)
                    row[position] = _("[%(length)s characters]") % {"length": f"{len(value):,}"}
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(row)

    def get_instance(self, instance_loader, row: dict) -> EmailTemplate | None:
        name, language = _text(row.get("name")), _text(row.get("language"))
        matches = EmailTemplate.objects.filter(name=name, language=language,
                                               default_template__isnull=not bool(language))
        return matches.order_by("pk").first()

    def import_instance(self, instance: EmailTemplate, row: dict, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        instance.name = _text(instance.name)
        instance.language = _text(instance.language)
        for field_name in SOURCE_FIELDS:
            size = self._oversized.get((kwargs.get("row_number"), field_name))
            if size:
                limit = MAX_SUBJECT_CHARS if field_name == "subject" else MAX_SOURCE_CHARS
                errors.setdefault(field_name, []).append(_(
                    "Too long: %(length)s characters, at most %(limit)s are allowed.") % {
                    "length": f"{size:,}", "limit": f"{limit:,}"})
                setattr(instance, field_name, "")  # nothing this size is compiled or stored
        if message := language_error(instance.language):
            errors.setdefault("language", []).append(message)
        for field_name, message in check_sources(instance).items():
            errors.setdefault(field_name, []).append(message)
        if instance.language:
            default = EmailTemplate.objects.filter(
                name=instance.name, language="", default_template__isnull=True).order_by("pk").first()
            if default is None:
                errors.setdefault("name", []).append(_(
                    "No default template named %(name)s in the file or the database for this "
                    "translation.") % {"name": instance.name})
            instance.default_template = default
            instance.sample_context = None  # previews use the default's sample context
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance: EmailTemplate, import_validation_errors: dict | None = None,
                          validate_unique: bool = True) -> None:
        errors = dict(import_validation_errors or {})
        try:
            # default_template is set from the name above (a NULL there means "a default").
            instance.full_clean(exclude=[*errors, "default_template"], validate_unique=validate_unique)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def after_import(self, dataset, result, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        names = {_text(row.get("name")) for row in dataset.dict}
        for default in EmailTemplate.objects.filter(name__in=names, default_template__isnull=True):
            record_version(default, kwargs.get("user"), _("Imported"))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
