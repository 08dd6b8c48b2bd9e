"""Translations in the editor: one unfold tab per present language, plus "Add a translation"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline

from ...models import EmailTemplate
from ...templates_service.sources import SOURCE_FIELDS
from ...templates_service.validation import language_label
from .forms import NewTranslationForm, TranslationForm, TranslationFormSet
from .widgets import monospace


class _TranslationInlineBase(StackedInline):
    model = EmailTemplate
    fk_name = "default_template"
    formset = TranslationFormSet
    tab = True
    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return monospace(super().formfield_for_dbfield(db_field, request, **kwargs), db_field.name)


class LanguageInline(_TranslationInlineBase):
    """The translation in ``language``; subclassed per language by :func:`language_inline`."""

    form = TranslationForm
    fields = SOURCE_FIELDS
    max_num = 1
    language = ""

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(language=self.language)


def language_inline(code: str) -> type[LanguageInline]:
    label = language_label(code)
    return type(f"LanguageInline_{code.replace('-', '_')}", (LanguageInline,), {
        "language": code, "verbose_name": label, "verbose_name_plural": label,
    })


class NewTranslationInline(_TranslationInlineBase):
    form = NewTranslationForm
    fields = ("language", *SOURCE_FIELDS)
    extra = 1
    can_delete = False
    # The tab shows the plural (the form's header and "Add another ..." the singular).
    verbose_name = _("translation")
    verbose_name_plural = _("Add a translation")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).none()

    def get_max_num(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return len(missing_languages(obj))

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        choices = [(code, language_label(code)) for code in missing_languages(obj)]
        formset.form = type(formset.form.__name__, (formset.form,), {"language_choices": choices})
        return formset


def present_languages(obj: EmailTemplate | None) -> list[str]:
    """Languages of ``obj``'s translations, in settings.LANGUAGES order (unknown ones last)."""
    if obj is None or not obj.pk:
        return []
    codes = set(EmailTemplate.objects.filter(default_template=obj).values_list("language", flat=True))
    order = [code for code, _label in settings.LANGUAGES]
    return [c for c in order if c in codes] + sorted(codes - set(order))


def missing_languages(obj: EmailTemplate | None) -> list[str]:
    present = set(present_languages(obj))
    return [code for code, _label in settings.LANGUAGES if code not in present]
