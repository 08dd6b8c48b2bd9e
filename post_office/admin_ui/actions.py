"""Requeue, resend and cancel from the console: bulk actions on the list and buttons on the
detail page. Both show a confirmation page (count + effect) on the first request, run the
operation from :mod:`post_office.operations` on the confirming POST, report the counts and
write Django admin LogEntry rows. No business logic here: this is the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from unfold.decorators import action
from unfold.enums import ActionVariant

from .. import operations
from ..models import QUEUED_STATUSES, STATUS, Email

CONFIRMATION_SAMPLE = 20  # emails listed on the confirmation page


@dataclass(frozen=True)
class Operation:
    name: str  # the permission is post_office.<name>_email
    title: str
    effect: str
    run: object


def _operations() -> dict[str, Operation]:
    return {
        "requeue": Operation(
            "requeue", _("Requeue failed emails"),
            _("Failed emails go back to the queue to be sent now, with their retry count reset. "
              "Emails that are not failed, or have expired, are left alone."),
            operations.requeue_failed,
        ),
        "resend": Operation(
            "resend", _("Resend as new emails"),
            _("A new copy of each email is queued (same recipients, content and attachments, a new "
              "Message-ID). The selected emails themselves are not changed."),
            operations.resend,
        ),
        "cancel": Operation(
            "cancel", _("Cancel queued emails"),
            _("Queued and scheduled emails will not be sent: they are marked failed with a "
              "'Cancelled' log entry. Emails being sent at this moment, or already sent or failed, "
              "are left alone."),
            operations.cancel,
        ),
    }


_SKIP_REASONS = {
    "not failed": gettext_lazy("not failed"),
    "expired": gettext_lazy("expired"),
    "not queued": gettext_lazy("not queued"),
    "being sent": gettext_lazy("being sent right now"),
}


def result_message(name: str, result: operations.OperationResult) -> str:
    done = {
        "requeue": ngettext("%(count)d email requeued.", "%(count)d emails requeued.", result.done),
        "resend": ngettext("%(count)d copy queued.", "%(count)d copies queued.", result.done),
        "cancel": ngettext("%(count)d email cancelled.", "%(count)d emails cancelled.", result.done),
    }[name] % {"count": result.done}
    if not result.skipped_total:
        return done
    reasons = ", ".join(
        f"{count} {_SKIP_REASONS.get(reason, reason)}" for reason, count in sorted(result.skipped.items())
    )
    skipped = ngettext("%(count)d email skipped", "%(count)d emails skipped", result.skipped_total) % {
        "count": result.skipped_total}
    return f"{done} {skipped} ({reasons})."


def confirmation_page(model_admin, request: HttpRequest, operation: Operation, *, count: int, count_text: str,
                      sample: list[str], bulk: bool, cancel_url: str) -> TemplateResponse:
    """The "are you sure?" page of every console operation (emails, suppressions): title, count,
    effect and a sample of the rows, then a form that repeats the request with the confirmation.

    ``bulk``: the form re-posts the changelist action (with ``post=yes``) and the selection;
    otherwise it is a bare POST to the detail button's own URL. ``sample`` lines are escaped.
    """
    context = {
        **model_admin.admin_site.each_context(request),
        "title": operation.title,
        "operation": operation,
        "count": count,
        "count_text": count_text,
        "sample": sample,
        "opts": model_admin.model._meta,
        "bulk": bulk,
        "action_name": request.POST.get("action", ""),
        # Django needs the ticked ids even with select_across (which then widens to the filter).
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across") == "1",
        "cancel_url": cancel_url,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "post_office/admin/confirm_action.html", context)


def _in_status(obj, statuses) -> bool:
    """For a detail button (unfold passes the object id): only offer it where it can act."""
    if obj is None:
        return True
    try:
        found = list(Email.objects.filter(pk=obj.pk if isinstance(obj, Email) else obj)
                     .values_list("status", flat=True)[:1])
    except (ValueError, TypeError):  # not an id at all: the view answers 404
        return True
    # An unknown email is the view's 404 to give, not a permission refusal.
    return not found or found[0] in statuses


class EmailActionsMixin:
    """Mixed into EmailAdmin (an unfold ModelAdmin)."""

    actions = ["requeue_selected", "resend_selected", "cancel_selected", "delete_selected"]
    actions_detail = ["requeue_one", "resend_one", "cancel_one"]
    custom_operation_actions = {
        "requeue_selected": "requeue", "resend_selected": "resend", "cancel_selected": "cancel",
    }

    # --- permissions (unfold's @action(permissions=[...]) calls has_<name>_permission) ----------
    def has_requeue_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("post_office.requeue_email") and _in_status(obj, [STATUS.failed])

    def has_resend_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("post_office.resend_email")

    def has_cancel_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("post_office.cancel_email") and _in_status(obj, QUEUED_STATUSES)

    def check_operation_permission(self, request: HttpRequest) -> None:
        """A POST naming one of our actions without its permission is refused (403), not
        silently ignored as Django does for unknown actions."""
        name = self.custom_operation_actions.get(request.POST.get("action", ""))
        if name and not getattr(self, f"has_{name}_permission")(request):
            raise PermissionDenied

    # --- the shared flow --------------------------------------------------------------------
    def _perform(self, request: HttpRequest, name: str, queryset: QuerySet) -> operations.OperationResult:
        op = _operations()[name]
        result = op.run(queryset, actor=request.user.get_username())
        flag = ADDITION if name == "resend" else CHANGE
        note = {"requeue": "Requeued", "resend": "Created by resend", "cancel": "Cancelled"}[name]
        for start in range(0, len(result.ids), operations.CHUNK_SIZE):
            chunk = result.ids[start:start + operations.CHUNK_SIZE]
            LogEntry.objects.log_actions(
                user_id=request.user.pk, queryset=list(Email.objects.filter(pk__in=chunk).only("pk", "to")),
                action_flag=flag, change_message=note,
            )
        level = messages.SUCCESS if result.done else messages.WARNING
        self.message_user(request, result_message(name, result), level)
        return result

    def _confirmation(self, request: HttpRequest, name: str, queryset: QuerySet, *, bulk: bool,
                      cancel_url: str) -> TemplateResponse:
        count = queryset.count()
        sample = [
            f"#{email.pk} · {email} · {Truncator(email.subject).chars(60)} · {email.get_status_display()}"
            for email in queryset.select_related(None).order_by("-pk")
            .only("pk", "to", "subject", "status")[:CONFIRMATION_SAMPLE]
        ]
        count_text = ngettext("This will affect %(count)d selected email.",
                              "This will affect %(count)d selected emails.", count) % {"count": count}
        return confirmation_page(self, request, _operations()[name], count=count, count_text=count_text,
                                 sample=sample, bulk=bulk, cancel_url=cancel_url)

    def _bulk(self, request: HttpRequest, queryset: QuerySet, name: str) -> HttpResponse | None:
        if request.POST.get("post") == "yes":
            self._perform(request, name, queryset)
            return None  # back to the list, filters preserved
        return self._confirmation(request, name, queryset, bulk=True, cancel_url=request.get_full_path())

    def _single(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        from .views import url, viewable_email

        email = viewable_email(self, request, object_id)
        change_url = url(self, "change", email.pk)
        queryset = Email.objects.filter(pk=email.pk)
        if request.method == "POST":
            self._perform(request, name, queryset)
            return HttpResponseRedirect(change_url)
        return self._confirmation(request, name, queryset, bulk=False, cancel_url=change_url)

    # --- bulk actions (the list's action menu) -------------------------------------------------
    @action(description=gettext_lazy("Requeue failed emails"), permissions=["requeue"])
    def requeue_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._bulk(request, queryset, "requeue")

    @action(description=gettext_lazy("Resend as new emails"), permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._bulk(request, queryset, "resend")

    @action(description=gettext_lazy("Cancel queued emails"), permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet):
        return self._bulk(request, queryset, "cancel")

    # --- detail buttons (unfold actions_detail: GET confirms, POST performs) -------------------
    @action(description=gettext_lazy("Requeue"), permissions=["requeue"], icon="replay",
            url_path="requeue")
    def requeue_one(self, request: HttpRequest, object_id: str):
        return self._single(request, object_id, "requeue")

    @action(description=gettext_lazy("Resend"), permissions=["resend"], icon="forward_to_inbox",
            url_path="resend")
    def resend_one(self, request: HttpRequest, object_id: str):
        return self._single(request, object_id, "resend")

    @action(description=gettext_lazy("Cancel"), permissions=["cancel"], icon="cancel",
            url_path="cancel", variant=ActionVariant.DANGER)
    def cancel_one(self, request: HttpRequest, object_id: str):
        return self._single(request, object_id, "cancel")

