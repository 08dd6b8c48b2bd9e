"""Who may see an email's content, and signed URLs for images inside the preview sandbox.

The preview document lives in an iframe sandboxed *without* ``allow-same-origin``: its origin is
opaque, so the browser treats its image requests as cross-site and does not send the
``SameSite=Lax`` session cookie. Inline images are therefore requested with a short-lived token,
signed with ``SECRET_KEY``, that names the email and the user it was issued to; the image view
checks that this user may (still) view emails before serving anything.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing

_SALT = "post_office.admin_ui.inline-image"
TOKEN_MAX_AGE = 60 * 60  # seconds: long enough to read an email, short enough to not leak far


def may_view_emails(user) -> bool:
    return bool(
        user is not None and user.is_active and user.is_staff
        and (user.has_perm("post_office.view_email") or user.has_perm("post_office.change_email"))
    )


def image_token(email_pk: int, user_pk: int) -> str:
    return signing.dumps([int(email_pk), int(user_pk)], salt=_SALT, compress=False)


def user_for_image_token(token: str, email_pk: int):
    """The active user the token was issued to, if it is valid for ``email_pk``; else None."""
    try:
        token_email, user_pk = signing.loads(token, salt=_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if token_email != int(email_pk):
        return None
    user = get_user_model()._default_manager.filter(pk=user_pk).first()
    return user if may_view_emails(user) else None
