"""The metrics view a project mounts, e.g. ``path("metrics", post_office.stats.views.metrics)``.

Access: a request carrying ``Authorization: Bearer <POST_OFFICE['METRICS_TOKEN']>`` (for the
Prometheus scraper), or a logged-in staff user with the view permission on emails.
"""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..conf import post_office_settings
from .prometheus import CONTENT_TYPE, render


def _authorized(request: HttpRequest) -> bool:
    token = post_office_settings.metrics_token
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer "):].strip().encode(), token.encode())
    user = getattr(request, "user", None)
    return bool(user and user.is_active and user.is_staff and user.has_perm("post_office.view_email"))


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="post_office metrics"'
        return response
    return HttpResponse(render(), content_type=CONTENT_TYPE)
