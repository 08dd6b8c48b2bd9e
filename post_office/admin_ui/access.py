"""Who may see what the console previews, and signed URLs for images inside the preview sandbox.

Every preview document (an email's, a template studio render's) lives in an iframe sandboxed
*without* ``allow-same-origin``: its origin is opaque, so the browser treats its image requests
as cross-site and does not send the ``SameSite=Lax`` session cookie. Inline images are therefore
requested with a short-lived token, signed with ``SECRET_KEY``, that names what is previewed
(``scope`` and ``key``: an email's pk, a studio preview's cache token) and the user it was issued
to; the image view checks that this user may (still) view that kind of object before serving it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core import signing

_SALT = "post_office.admin_ui.preview-image"
TOKEN_MAX_AGE = 60 * 60  # seconds: long enough to read an email, short enough to not leak far

EMAIL = "email"  # key: the Email's pk
STUDIO = "studio"  # key: the studio preview's cache token


def _may(user, model: str) -> bool:
    return bool(
        user is not None and user.is_active and user.is_staff
        and (user.has_perm(f"post_office.view_{model}") or user.has_perm(f"post_office.change_{model}"))
    )


def may_view_emails(user) -> bool:
    return _may(user, "email")


def may_view_templates(user) -> bool:
    return _may(user, "emailtemplate")


def image_token(scope: str, key: str | int, user_pk: int) -> str:
    """A signed token for the images of preview ``(scope, key)``, issued to user ``user_pk``."""
    return signing.dumps([scope, str(key), int(user_pk)], salt=_SALT, compress=False)


def user_for_image_token(token: str, scope: str, key: str | int, may_view: Callable[[object], bool]):
    """The user ``token`` was issued to, if it names ``(scope, key)``, has not expired, and the
    user passes ``may_view`` today; else None.
    """
    try:
        token_scope, token_key, user_pk = signing.loads(token, salt=_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if token_scope != scope or token_key != str(key):
        return None
    user = get_user_model()._default_manager.filter(pk=user_pk).first()
    return user if may_view(user) else None
