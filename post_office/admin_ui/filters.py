"""List filters of the email console. Each one filters on an indexed column or a short list of
choices known without querying the emails table (a DISTINCT over a million rows is not free).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import DropdownFilter, RangeDateFilter
from unfold.utils import parse_date_str

from ..conf import post_office_settings
from ..models import STATUS, EmailTemplate, Log, RecipientDeliveryStatus


class BackendFilter(DropdownFilter):
    title = _("backend")
    parameter_name = "backend"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(alias, alias) for alias in post_office_settings.backends]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        alias = self.value()
        if not alias:
            return queryset
        if alias == "default":
            # An empty alias is delivered by the default backend.
            return queryset.filter(backend_alias__in=["", "default"])
        return queryset.filter(backend_alias=alias)


class TemplateFilter(DropdownFilter):
    """By template name: the default template and all its translations."""

    title = _("template")
    parameter_name = "template"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            (str(pk), name)
            for pk, name in EmailTemplate.objects.filter(default_template__isnull=True)
            .order_by("name").values_list("pk", "name")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        family = EmailTemplate.objects.filter(Q(pk=value) | Q(default_template_id=value)).values("pk")
        return queryset.filter(template_id__in=family)


class LanguageFilter(DropdownFilter):
    """The language of the email's template (emails without a template have none)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(code, f"{name} ({code})") for code, name in settings.LANGUAGES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(template_id__in=EmailTemplate.objects.filter(language=value).values("pk"))


class ScheduleFilter(DropdownFilter):
    title = _("schedule")
    parameter_name = "schedule"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            ("due", _("Queued and due now")),
            ("scheduled", _("Queued for later")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "due":
            return queryset.due(now)
        if self.value() == "scheduled":
            return queryset.scheduled(now)
        return queryset


class FailedLogFilter(DropdownFilter):
    title = _("failed attempts")
    parameter_name = "failed_log"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", _("Has a failed attempt")), ("no", _("No failed attempt"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        failed = Exists(Log.objects.filter(email=OuterRef("pk"), status=STATUS.failed))
        if self.value() == "yes":
            return queryset.filter(failed)
        if self.value() == "no":
            return queryset.filter(~failed)
        return queryset


class DeliveryStatusFilter(DropdownFilter):
    """The best delivery status a provider reported for the email (webhooks, anymail), or none."""

    title = _("delivery status")
    parameter_name = "recipient_delivery_status"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(str(value), label) for value, label in RecipientDeliveryStatus.choices] + [
            (self.NONE, _("None reported")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        if value == self.NONE:
            return queryset.filter(recipient_delivery_status__isnull=True)
        if not value.isdigit() or int(value) not in RecipientDeliveryStatus.values:
            return queryset.none()  # a hand-edited URL: an empty list, not a 500
        return queryset.filter(recipient_delivery_status=int(value))


class CreatedRangeFilter(RangeDateFilter):
    """unfold's date range, with an inclusive end day that still uses the ``created`` index."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        bounds = {}
        for suffix, lookup in (("_from", "gte"), ("_to", "lt")):
            raw = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if not raw:
                continue
            day = parse_date_str(raw)
            if day is None:
                return None  # unfold shows the form error; the list stays unfiltered
            if suffix == "_to":
                day += datetime.timedelta(days=1)
            start = datetime.datetime.combine(day, datetime.time.min)
            bounds[f"{self.parameter_name}__{lookup}"] = (
                timezone.make_aware(start) if settings.USE_TZ else start
            )
        return queryset.filter(**bounds)
