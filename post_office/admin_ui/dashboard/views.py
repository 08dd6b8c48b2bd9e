"""The dashboard's endpoints: htmx partials, the backend connection test, "requeue these"."""

from __future__ import annotations

import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ...conf import SMTP_BACKEND, post_office_settings
from ...errors import PostOfficeError
from ...models import Email
from ...operations import requeue_failed
from ...stats import queries
from ..actions import result_message
from .context import PARTS, REQUEUE, TEST_CONNECTION, VIEW_EMAIL, VIEW_LOG

CONNECTION_TIMEOUT = 10  # seconds: a test must answer while the operator waits


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@require_GET
def part(request: HttpRequest, name: str) -> HttpResponse:
    """One live piece of the dashboard, rendered on its own for htmx to swap in."""
    _require(request, VIEW_EMAIL)
    if name not in PARTS:
        raise Http404(_("No such dashboard part."))
    if name == "tail":
        _require(request, VIEW_LOG)
    template, build = PARTS[name]
    return TemplateResponse(request, template, build(request, timezone.now()))


def check_connection(alias: str) -> tuple[bool, str, float]:
    """Open and close ``alias``'s backend connection: ``(ok, message, milliseconds)``."""
    path = post_office_settings.backend_path(alias)
    options = {"timeout": CONNECTION_TIMEOUT} if path == SMTP_BACKEND else {}
    started = time.monotonic()
    try:
        connection = get_connection(path, fail_silently=False, **options)
        connection.open()
        connection.close()
    except Exception as exc:  # noqa: BLE001 - any backend error is the answer the operator wants
        return False, f"{type(exc).__name__}: {exc}", (time.monotonic() - started) * 1000
    return True, _("Connection opened and closed."), (time.monotonic() - started) * 1000


@require_POST
def test_connection(request: HttpRequest, alias: str) -> HttpResponse:
    _require(request, TEST_CONNECTION)
    if alias not in post_office_settings.backends:
        raise Http404(_("No backend with that alias."))
    ok, message, elapsed = check_connection(alias)
    context = {"alias": alias, "ok": ok, "message": message, "elapsed": elapsed}
    if request.htmx:
        return TemplateResponse(request, "post_office/admin/dashboard/test_result.html", context)
    (messages.success if ok else messages.error)(request, f"{alias}: {message} ({elapsed:.0f} ms)")
    return redirect("admin:post_office_deliverystat_changelist")


@require_POST
def requeue_reason(request: HttpRequest) -> HttpResponse:
    """Requeue the failed emails behind one of the top failure reasons (as listed right now)."""
    _require(request, REQUEUE)
    _require(request, VIEW_EMAIL)
    kind, pattern = request.POST.get("exception_type", ""), request.POST.get("pattern", "")
    matches = [r for r in queries.failure_reasons() if (r.exception_type, r.pattern) == (kind, pattern)]
    if not matches:
        messages.warning(request, _("That failure reason is no longer among the recent ones; nothing requeued."))
        return redirect("admin:index")
    try:
        result = requeue_failed(Email.objects.filter(pk__in=matches[0].email_ids), actor=request.user.get_username())
    except PostOfficeError as exc:
        messages.error(request, str(exc))
        return redirect("admin:index")
    messages.success(request, result_message("requeue", result))
    return redirect("admin:index")
