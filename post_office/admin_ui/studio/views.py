"""Views of the template studio. Each checks its permission, calls the service, renders a partial.

Preview documents and their inline images live in the cache for a few minutes under a random
token bound to the user who asked for them: the preview may use a sample context that is not
saved yet, so the sandboxed iframe cannot re-render it from the database. They are served exactly
as the email console serves its previews (:func:`..views.preview_response`,
:func:`..views.image_response`): a bare ``<iframe sandbox>``, the same CSP, and image URLs signed
for the viewer (:mod:`..access`), since the sandboxed document sends no session cookie.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ...errors import InvalidEmailError, PostOfficeError
from ...models import STATUS, EmailTemplate
from ...templates_service import history
from ...templates_service.preview import render_template_preview
from ...templates_service.testsend import send_test as send_test_email
from ...templates_service.validation import known_language_codes, language_label, parse_sample_context
from ..access import STUDIO, image_token, may_view_templates, user_for_image_token
from ..views import image_response, preview_response
from .forms import SendTestForm
from .inlines import missing_languages, present_languages

PREVIEW_TTL = 10 * 60
TEMPLATES = "post_office/admin/studio/"


def url(model_admin, name: str, *args: Any) -> str:
    opts = model_admin.opts
    return reverse(f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=args)


def redirect_to(model_admin, name: str, *args: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(url(model_admin, name, *args))


def get_template(model_admin, request: HttpRequest, object_id: str, permission: str = "view") -> EmailTemplate:
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404(_("No such email template."))
    allowed = {
        "view": model_admin.has_view_permission,
        "send_test": model_admin.has_send_test_permission,
        "restore": model_admin.has_restore_permission,
    }[permission](request, obj)
    if not allowed:
        raise PermissionDenied
    return obj


def studio_context(model_admin, request: HttpRequest, object_id: str) -> dict[str, Any]:
    """What the preview panel of the change form needs."""
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        return {}
    present = present_languages(obj)
    return {"studio": {
        "languages": [("", language_label(""))] + [(code, language_label(code)) for code in present],
        "fallback_languages": [(code, language_label(code)) for code in missing_languages(obj)],
        "preview_url": url(model_admin, "studio_preview", quote(obj.pk)),
    }}


def size_guard_context() -> dict[str, Any]:
    """What the editor's size check (static/post_office/studio/size_guard.js) needs: a form over
    DATA_UPLOAD_MAX_MEMORY_SIZE would get Django's bare 400 page and lose the edits on screen."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return {}
    return {"size_guard": {"limit": limit, "message": _(
        "Not saved: this form is {size}, and the server accepts at most {limit} "
        "(DATA_UPLOAD_MAX_MEMORY_SIZE). The largest field is “{field}”. Your edits are still on "
        "this page: make that field smaller (images belong in inline images, not in the HTML) "
        "and save again.")}}


# --- preview -----------------------------------------------------------------------------------
def _cache_key(token: str) -> str:
    return f"post_office:studio:preview:{token}"


def preview(model_admin) -> Callable:
    @require_POST
    def view(request: HttpRequest, object_id: str) -> HttpResponse:
        obj = get_template(model_admin, request, object_id)
        language = request.POST.get("language", "")
        context = {"language": language, "language_label": language_label(language)}
        if language and language not in known_language_codes():
            context["error"] = _("%(code)s is not one of settings.LANGUAGES.") % {"code": language}
            return TemplateResponse(request, TEMPLATES + "preview_result.html", context)
        raw = request.POST.get("sample_context", obj.sample_context)
        try:
            sample = parse_sample_context(raw)
        except ValueError as exc:
            context["error"] = _("Sample context: %(error)s") % {"error": exc}
            return TemplateResponse(request, TEMPLATES + "preview_result.html", context)
        token = secrets.token_urlsafe(24)
        signed = image_token(STUDIO, token, request.user.pk)

        def image_url(index: int) -> str:
            return f"{url(model_admin, 'studio_preview_image', quote(obj.pk), token, index)}?t={signed}"

        result = render_template_preview(obj, language, sample, image_url=image_url)
        cache.set(_cache_key(token), {
            "user": request.user.pk, "template": obj.pk, "document": result.document, "images": result.images,
        }, PREVIEW_TTL)
        context.update({
            "result": result,
            "fell_back": not result.problem and result.rendered_language != language,
            "frame_url": url(model_admin, "studio_preview_frame", quote(obj.pk), token),
        })
        return TemplateResponse(request, TEMPLATES + "preview_result.html", context)

    return view


def _stored(token: str, user_pk: Any, template_pk: Any) -> dict[str, Any]:
    stored = cache.get(_cache_key(token))
    if not stored or stored["user"] != user_pk or str(stored["template"]) != str(template_pk):
        raise Http404(_("This preview has expired; preview again."))
    return stored


def preview_frame(model_admin) -> Callable:
    """The preview document. The iframe's own request comes from the console page, so it
    carries the session: the admin's permission check applies as to any studio view."""
    def view(request: HttpRequest, object_id: str, token: str) -> HttpResponse:
        obj = get_template(model_admin, request, object_id)
        return preview_response(_stored(token, request.user.pk, obj.pk)["document"])

    return view


def preview_image(model_admin, request: HttpRequest, object_id: str, token: str, index: int) -> HttpResponse:
    """One inline image of a preview. From inside the sandbox (no session cookie) the signed
    ``t`` names the preview and its viewer; without it the session's permissions decide."""
    signed = request.GET.get("t")
    if signed:
        user = user_for_image_token(signed, STUDIO, token, may_view_templates)
        if user is None:
            raise PermissionDenied
        stored = _stored(token, user.pk, unquote(object_id))
    else:
        obj = get_template(model_admin, request, object_id)
        stored = _stored(token, request.user.pk, obj.pk)
    try:
        image = stored["images"][index]
    except IndexError:
        raise Http404(_("No such image.")) from None
    return image_response(image)


# --- test send ---------------------------------------------------------------------------------
def send_test(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    obj = get_template(model_admin, request, object_id, "send_test")
    form = SendTestForm(request.POST or None, template=obj,
                        initial={"recipients": getattr(request.user, "email", "") or "", "backend": "default"})
    if request.method == "POST" and form.is_valid():
        try:
            email = send_test_email(obj, form.cleaned_data["recipients"], language=form.cleaned_data["language"],
                                    context=obj.sample_context or {}, backend=form.cleaned_data["backend"])
        except InvalidEmailError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except PostOfficeError as exc:
            form.add_error(None, str(exc))
        else:
            _report_test(model_admin, request, email)
            return redirect_to(model_admin, "change", quote(obj.pk))
    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.opts, "original": obj,
        "title": _("Send a test of %(name)s") % {"name": obj.name}, "form": form,
        "uses_sample_context": bool(obj.sample_context),
    }
    return TemplateResponse(request, TEMPLATES + "send_test.html", context)


def _report_test(model_admin, request: HttpRequest, email) -> None:
    try:
        link = reverse(f"{model_admin.admin_site.name}:post_office_email_change", args=[email.pk])
    except NoReverseMatch:  # the email console may not be registered in this admin site
        link = ""
    label = _("email #%(pk)s") % {"pk": email.pk}
    where = format_html('<a href="{}">{}</a>', link, label) if link else label
    if email.status == STATUS.sent:
        messages.success(request, format_html(_("Test sent to {} as {}."), ", ".join(email.to), where))
    else:
        log = email.logs.order_by("-pk").first()
        reason = log.message if log else _("unknown reason")
        messages.error(request, format_html(_("The test could not be delivered ({}): {}."), where, reason))


# --- history -----------------------------------------------------------------------------------
def history_view(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    obj = get_template(model_admin, request, object_id)
    versions = list(history.versions(obj.name).order_by("-number")[:100])
    by_number = {v.number: v for v in versions}
    diff, pair = [], None
    if versions:
        newest = versions[0].number
        old = _int(request.GET.get("from"), newest - 1)
        new = _int(request.GET.get("to"), newest)
        if old in by_number and new in by_number and old != new:
            pair = (by_number[old], by_number[new])
            diff = history.diff_versions(*pair)
    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.opts, "original": obj,
        "title": _("Versions of %(name)s") % {"name": obj.name}, "pair": pair, "diff": diff,
        "rows": [(v, url(model_admin, "studio_restore", quote(obj.pk), v.number)) for v in versions],
        "can_restore": model_admin.has_restore_permission(request, obj),
        "change_url": url(model_admin, "change", quote(obj.pk)),
    }
    return TemplateResponse(request, TEMPLATES + "history.html", context)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def restore(model_admin) -> Callable:
    @require_POST
    def view(request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        obj = get_template(model_admin, request, object_id, "restore")
        version = history.versions(obj.name).filter(number=number).first()
        if version is None:
            raise Http404(_("No such version."))
        try:
            _default, new_version = history.restore_version(version, request.user)
        except history.RestoreError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Version %(old)s restored as version %(new)s.") % {
                "old": version.number, "new": new_version.number})
        return redirect(url(model_admin, "history_action", quote(obj.pk)))

    return view
