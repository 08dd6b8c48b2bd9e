"""Forms of the template studio: the default template, its translations, a test send."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.contrib.import_export.forms import ImportForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from ...conf import post_office_settings
from ...models import EmailTemplate
from ...templates_service.sources import SOURCE_FIELDS, source_error
from ...templates_service.validation import language_error, language_label, parse_sample_context
from ...validators import validate_email_with_name


class SourceFieldsMixin:
    """Syntax and size of subject / content / HTML checked with the line, at the field."""

    def _clean_source(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        message = source_error(value, name)
        if message:
            raise ValidationError(message, code="invalid_template")
        return value

    def clean_subject(self) -> str:
        return self._clean_source("subject")

    def clean_content(self) -> str:
        return self._clean_source("content")

    def clean_html_content(self) -> str:
        return self._clean_source("html_content")


def sample_context_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Sample context"), required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 10, "class": "po-mono", "spellcheck": "false"}),
        help_text=gettext_lazy('JSON object used by the preview and test sends, e.g. {"name": "Ada"}.'),
    )


class DefaultTemplateForm(SourceFieldsMixin, forms.ModelForm):
    sample_context = sample_context_field()

    class Meta:
        model = EmailTemplate
        fields = ("name", "description", *SOURCE_FIELDS, "sample_context")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "sample_context" in self.fields and not self.is_bound:
            value = self.instance.sample_context
            self.initial["sample_context"] = "" if value in (None, {}) else json.dumps(
                value, indent=2, ensure_ascii=False)

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError(_("A template needs a name."), code="required")
        clash = EmailTemplate.objects.filter(name=name, default_template__isnull=True).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Another template is already named %(name)s.") % {"name": name}, code="unique")
        return name

    def clean_sample_context(self) -> dict[str, Any] | None:
        try:
            return parse_sample_context(self.cleaned_data.get("sample_context")) or None
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid_json") from exc


class TranslationForm(SourceFieldsMixin, forms.ModelForm):
    """One existing translation; its language is fixed (it is the tab it lives in)."""

    class Meta:
        model = EmailTemplate
        fields = SOURCE_FIELDS


class NewTranslationForm(SourceFieldsMixin, forms.ModelForm):
    """A translation being added: only languages of settings.LANGUAGES not yet present."""

    language_choices: list[tuple[str, str]] = []

    class Meta:
        model = EmailTemplate
        fields = ("language", *SOURCE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            label=_("Language"), required=False,
            choices=[("", _("Choose a language"))] + list(self.language_choices),
            widget=UnfoldAdminSelectWidget,
        )

    def clean_language(self) -> str:
        code = self.cleaned_data.get("language") or ""
        if code and (message := language_error(code)):
            raise ValidationError(message, code="invalid_language")
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.has_changed() and not cleaned.get("language") and "language" not in self.errors:
            self.add_error("language", _("Choose the language of this translation."))
        return cleaned


class TranslationFormSet(forms.BaseInlineFormSet):
    """Refuses a language twice (among the new forms, or one the family already has)."""

    def clean(self) -> None:
        super().clean()
        present = set(
            EmailTemplate.objects.filter(default_template=self.instance).values_list("language", flat=True)
        ) if self.instance.pk else set()
        seen: set[str] = set()
        for form in self.forms:
            code = (getattr(form, "cleaned_data", None) or {}).get("language")
            if not code or "language" not in form.fields:
                continue
            if code in seen or code in present:
                form.add_error("language", _("%(language)s is already present.") % {"language": language_label(code)})
            seen.add(code)


def parse_recipients(value: str) -> list[str]:
    addresses = [part.strip() for part in value.replace(";", ",").replace("\n", ",").split(",") if part.strip()]
    if not addresses:
        raise ValidationError(_("Enter at least one address."), code="required")
    for address in addresses:
        try:
            validate_email_with_name(address)
        except ValidationError:
            raise ValidationError(_("Not an email address: %(value)s") % {"value": address}, code="invalid") from None
    return addresses


class SendTestForm(forms.Form):
    recipients = forms.CharField(
        label=gettext_lazy("Send to"), widget=UnfoldAdminTextInputWidget,
        help_text=gettext_lazy("One or more addresses, separated by commas."),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False, widget=UnfoldAdminSelectWidget)
    backend = forms.ChoiceField(label=gettext_lazy("Backend"), widget=UnfoldAdminSelectWidget)

    def __init__(self, *args: Any, template: EmailTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = EmailTemplate.objects.filter(default_template=template).order_by("language").values_list(
            "language", flat=True)
        self.fields["language"].choices = [("", language_label(""))] + [(c, language_label(c)) for c in codes]
        self.fields["backend"].choices = [(alias, alias) for alias in post_office_settings.backends]

    def clean_recipients(self) -> list[str]:
        return parse_recipients(self.cleaned_data.get("recipients") or "")


# Far above any real template file, far below what would hurt the server to parse.
MAX_IMPORT_BYTES = 32 * 1024 * 1024


class StudioImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data.get("import_file")
        if upload is not None and upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is %(size)s MB; at most %(limit)s MB can be imported.") % {
                "size": upload.size // (1024 * 1024), "limit": MAX_IMPORT_BYTES // (1024 * 1024)})
        return upload
