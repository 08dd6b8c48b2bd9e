"""The suppression list in the console: who is not mailed any more, why, and "Lift suppression".

Lifting deletes the entry, so it is gated by Django's delete permission on Suppression (no new
permission, no migration); Django's own delete is hidden so every removal goes through
:func:`post_office.suppression.lift_suppression` with a confirmation, a result message and a
LogEntry, like the email operations (:mod:`.actions`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from ..models import Suppression
from ..suppression import lift_suppression
from .actions import CONFIRMATION_SAMPLE, Operation, confirmation_page
from .badges import badge
from .readonly import ReadOnlyAdminMixin

LIFT_PERMISSION = "post_office.delete_suppression"
REASON_BADGES = {
    Suppression.Reason.HARD_BOUNCE: "danger", Suppression.Reason.COMPLAINT: "danger",
    Suppression.Reason.MANUAL: "",
}


def _lift_operation() -> Operation:
    return Operation(
        "lift", _("Lift suppression"),
        _("These addresses come off the suppression list: emails to them are sent again, even with "
          "POST_OFFICE['SUPPRESS_BOUNCED'] on. A new hard bounce or complaint puts an address back."),
        lift_suppression,
    )


class SuppressionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("address", "reason_badge", "created", "source", "email_link")
    list_filter = (("reason", ChoicesDropdownFilter),)
    list_filter_submit = True
    search_fields = ("address",)
    search_help_text = _("An address, or part of one.")
    ordering = ("-created",)
    list_per_page = 50
    fields = ("address", "reason", "created", "source", "email_link")
    readonly_fields = fields
    actions = ["lift_selected"]
    actions_detail = ["lift_one"]

    # --- permissions: read-only (the mixin); lifting is the one way to remove an entry -----------
    def has_lift_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm(LIFT_PERMISSION) and self.has_view_permission(request)

    # --- columns ---------------------------------------------------------------------------------
    @display(description=_("Reason"), ordering="reason")
    def reason_badge(self, obj: Suppression) -> str:
        return badge(obj.get_reason_display(), REASON_BADGES.get(obj.reason, ""))

    @display(description=pgettext_lazy("email message", "Email"))
    def email_link(self, obj: Suppression) -> str:
        if not obj.email_id:
            return "-"
        link = reverse(f"{self.admin_site.name}:post_office_email_change", args=[obj.email_id])
        return format_html('<a href="{}" class="text-primary-600">#{}</a>', link, obj.email_id)

    # --- lifting ---------------------------------------------------------------------------------
    def changelist_view(self, request: HttpRequest, extra_context=None):
        # Django answers an action the user may not run with "No action selected"; refuse instead.
        if request.method == "POST" and request.POST.get("action") == "lift_selected" \
                and not self.has_lift_permission(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def _confirm(self, request: HttpRequest, queryset: QuerySet, *, bulk: bool, cancel_url: str) -> HttpResponse:
        count = queryset.count()
        sample = [f"{entry.address} · {entry.get_reason_display()}"
                  for entry in queryset.order_by("address").only("address", "reason")[:CONFIRMATION_SAMPLE]]
        count_text = ngettext("This will lift %(count)d suppression.",
                              "This will lift %(count)d suppressions.", count) % {"count": count}
        return confirmation_page(self, request, _lift_operation(), count=count, count_text=count_text,
                                 sample=sample, bulk=bulk, cancel_url=cancel_url)

    def _lift(self, request: HttpRequest, queryset: QuerySet) -> int:
        entries = list(queryset.only("pk", "address"))
        with transaction.atomic():
            # One call per address: the service function is the one place that lifts.
            lifted = [entry for entry in entries if lift_suppression(entry.address)]
            if lifted:
                LogEntry.objects.log_actions(user_id=request.user.pk, queryset=lifted, action_flag=DELETION,
                                             change_message="Suppression lifted")
        text = ngettext("%(count)d suppression lifted: those addresses can be mailed again.",
                        "%(count)d suppressions lifted: those addresses can be mailed again.",
                        len(lifted)) % {"count": len(lifted)}
        gone = len(entries) - len(lifted)
        if gone:
            text += " " + ngettext("%(count)d was already lifted.", "%(count)d were already lifted.",
                                   gone) % {"count": gone}
        self.message_user(request, text, messages.SUCCESS if lifted else messages.WARNING)
        return len(lifted)

    @action(description=_("Lift suppression"), permissions=["lift"])
    def lift_selected(self, request: HttpRequest, queryset: QuerySet):
        if request.POST.get("post") == "yes":
            self._lift(request, queryset)
            return None  # back to the list, filters preserved
        return self._confirm(request, queryset, bulk=True, cancel_url=request.get_full_path())

    @action(description=_("Lift suppression"), permissions=["lift"], icon="undo",
            url_path="lift", variant=ActionVariant.DANGER)
    def lift_one(self, request: HttpRequest, object_id: str):
        entry = self.get_object(request, unquote(object_id))
        if entry is None:
            raise Http404(_("No suppression with id %(id)s.") % {"id": object_id})
        queryset = Suppression.objects.filter(pk=entry.pk)
        if request.method == "POST":
            self._lift(request, queryset)
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:post_office_suppression_changelist"))
        change_url = reverse(f"{self.admin_site.name}:post_office_suppression_change", args=[entry.pk])
        return self._confirm(request, queryset, bulk=False, cancel_url=change_url)
