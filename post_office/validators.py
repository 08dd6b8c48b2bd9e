"""Validators for addresses and template sources (django-post_office's names)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .utils_address import split_address


def validate_email_with_name(value: str) -> None:
    """Accept ``user@example.com`` or ``Name <user@example.com>``; raise ``ValidationError``."""
    address = split_address(str(value or ""))
    if address is None:
        raise ValidationError(_("Enter a valid email address: %(value)s") % {"value": value}, code="invalid")
    validate_email(address)


def validate_comma_separated_emails(value: str | Iterable[str]) -> None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ValidationError(_("Email list must be a list or tuple."), code="invalid")
    for address in value:
        try:
            validate_email_with_name(address)
        except ValidationError:
            raise ValidationError(
                _("Invalid email: %(value)s") % {"value": address}, code="invalid"
            ) from None


def validate_template_syntax(source: str) -> None:
    """Compile ``source`` with the TEMPLATE_ENGINE; raise ``ValidationError`` naming the line."""
    from .errors import InvalidTemplateError
    from .rendering.templates import check_template_source

    try:
        check_template_source(source)
    except InvalidTemplateError as exc:
        raise ValidationError(str(exc), code="invalid_template") from exc


def describe_template_error(exc: Exception) -> str:
    """A one-line message with the line number when Django's debug info carries it."""
    info = getattr(exc, "template_debug", None)
    if info and info.get("line"):
        return _("Line %(line)s: %(message)s") % {"line": info["line"], "message": exc}
    return str(exc)
