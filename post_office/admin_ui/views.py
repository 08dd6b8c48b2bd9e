"""The email console's own views: preview document, inline images, .eml and attachment
downloads, and the live status fragment. Each checks the user may view the email (403 if not).

Everything a view shows of an email is served so that the browser never treats it as part of
the admin: previews under a CSP with ``sandbox``, files as downloads with ``nosniff``.
:func:`preview_response` and :func:`image_response` are how every console preview (the email
detail's and the template studio's) is served.
"""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from ..errors import PostOfficeError
from ..models import QUEUED_STATUSES, STATUS, Email, RecipientDeliveryStatus
from ..preview import (
    INLINE_IMAGE_TYPES,
    InlineImage,
    inline_image_csp,
    inline_images,
    preview_csp,
    render_preview,
)
from ..rendering.message import build_message
from .access import EMAIL, image_token, may_view_emails, user_for_image_token

if TYPE_CHECKING:
    from .email_admin import EmailAdmin

TIMELINE_LIMIT = 100


def viewable_email(model_admin: EmailAdmin, request: HttpRequest, object_id) -> Email:
    """The email ``object_id`` if the user may view it: 404 if it does not exist, 403 if not allowed."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    email = model_admin.get_object(request, str(object_id))
    if email is None:
        raise Http404(_("No email with id %(id)s.") % {"id": object_id})
    if not model_admin.has_view_permission(request, email):
        raise PermissionDenied
    return email


def url(model_admin: EmailAdmin, name: str, *args) -> str:
    return reverse(f"{model_admin.admin_site.name}:post_office_email_{name}", args=args)


def _protect(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def preview_response(document: str, remote_images: bool = False) -> HttpResponse:
    """A preview document (see :func:`post_office.preview.preview_document`) for the console's
    ``<iframe sandbox>``, under the preview CSP."""
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = preview_csp(remote_images)
    # Framed by the console only (Django's default X-Frame-Options is DENY).
    response["X-Frame-Options"] = "SAMEORIGIN"
    return _protect(response)


def image_response(image: InlineImage) -> HttpResponse:
    """One inline image of a preview; 404 for anything but a raster image type."""
    content_type = image.content_type or mimetypes.guess_type(image.filename)[0] or ""
    if content_type not in INLINE_IMAGE_TYPES:
        raise Http404(_("Inline images of type %(type)s are not shown.") % {"type": content_type or "?"})
    response = HttpResponse(image.data, content_type=content_type)
    response["Content-Security-Policy"] = inline_image_csp()
    # The image is requested from the sandbox's opaque origin: allow that one cross-origin read.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return _protect(response)


def preview(model_admin: EmailAdmin, request: HttpRequest, object_id) -> HttpResponse:
    """The sanitized HTML as a standalone document for the sandboxed iframe."""
    email = viewable_email(model_admin, request, object_id)
    remote = request.GET.get("remote") == "1"
    token = image_token(EMAIL, email.pk, request.user.pk)

    def image_url(index: int) -> str:
        return f"{url(model_admin, 'inline_image', email.pk, index)}?t={token}"

    return preview_response(render_preview(email, image_url, remote_images=remote).document, remote)


def inline_image(model_admin: EmailAdmin, request: HttpRequest, object_id, index: int) -> HttpResponse:
    """One ``cid:`` image. Requests from the preview carry a signed token instead of the
    session cookie (see :mod:`.access`); without a token the session's permissions decide.
    """
    token = request.GET.get("t")
    if token:
        if user_for_image_token(token, EMAIL, object_id, may_view_emails) is None:
            raise PermissionDenied
        email = Email.objects.filter(pk=object_id).first()
        if email is None:
            raise Http404
    else:
        email = viewable_email(model_admin, request, object_id)
    try:
        images = inline_images(email)
    except PostOfficeError as exc:
        raise Http404(str(exc)) from exc
    if index >= len(images):
        raise Http404(_("No inline image %(index)s.") % {"index": index})
    return image_response(images[index])


def eml(model_admin: EmailAdmin, request: HttpRequest, object_id) -> HttpResponse:
    """The message exactly as the dispatcher would build it, as a ``.eml`` download."""
    email = viewable_email(model_admin, request, object_id)
    try:
        data = build_message(email).message().as_bytes()
    except PostOfficeError as exc:
        messages.error(request, _("The message cannot be built: %(error)s") % {"error": exc})
        return HttpResponseRedirect(url(model_admin, "change", email.pk))
    response = HttpResponse(data, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="email-{email.pk}.eml"'
    return _protect(response)


def attachment(model_admin: EmailAdmin, request: HttpRequest, object_id, attachment_id: int) -> HttpResponse:
    """An attachment of this email, always as a download: an HTML or SVG attachment opened in
    the browser would run on the console's origin.
    """
    email = viewable_email(model_admin, request, object_id)
    item = email.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise Http404(_("Email %(email)s has no attachment %(id)s.") % {"email": email.pk, "id": attachment_id})
    try:
        handle = item.file.open("rb")
    except (OSError, ValueError) as exc:
        messages.error(request, _("The file of %(name)s cannot be read: %(error)s") % {"name": item.name, "error": exc})
        return HttpResponseRedirect(url(model_admin, "change", email.pk))
    response = FileResponse(handle, as_attachment=True, filename=item.name or f"attachment-{item.pk}",
                            content_type="application/octet-stream")
    return _protect(response)


def is_final(email: Email) -> bool:
    """Sent or failed and not held by a dispatcher: nothing will change without a person."""
    return email.status not in QUEUED_STATUSES and not email.lease_token


def log_status_label(status: int) -> str:
    """Log statuses are STATUS values (console entries use queued/requeued) or provider events."""
    labels = {**dict(STATUS.choices), **dict(RecipientDeliveryStatus.choices)}
    return str(labels.get(status, status))


def live_context(model_admin: EmailAdmin, email: Email) -> dict:
    logs = list(email.logs.order_by("-date", "-pk")[: TIMELINE_LIMIT + 1])
    for log in logs:
        log.label = log_status_label(log.status)
    return {
        "email": email,
        "logs": logs[:TIMELINE_LIMIT],
        "more_logs": len(logs) > TIMELINE_LIMIT,
        "polling": not is_final(email),
        "live_url": url(model_admin, "live", email.pk),
    }


def live(model_admin: EmailAdmin, request: HttpRequest, object_id) -> HttpResponse:
    """htmx fragment: the status bar (polling itself while the email may change) and, out of
    band, the log timeline."""
    email = viewable_email(model_admin, request, object_id)
    context = {**live_context(model_admin, email), "oob": bool(getattr(request, "htmx", False))}
    response = TemplateResponse(request, "post_office/admin/email_live.html", context)
    response["Cache-Control"] = "no-store"
    return response
