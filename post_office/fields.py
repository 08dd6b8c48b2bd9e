"""Model fields (django-post_office's import path)."""

from __future__ import annotations

from django.db.models import TextField
from django.utils.translation import gettext_lazy as _

from .validators import validate_comma_separated_emails


class CommaSeparatedEmailField(TextField):
    """A list of addresses stored as one comma-separated text column."""

    default_validators = [validate_comma_separated_emails]
    description = _("Comma-separated emails")

    def __init__(self, *args, **kwargs):
        kwargs["blank"] = True
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        defaults = {"error_messages": {"invalid": _("Only comma separated emails are allowed.")}}
        defaults.update(kwargs)
        return super().formfield(**defaults)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def get_prep_value(self, value):
        if isinstance(value, str):
            return value
        return ", ".join([address.strip() for address in value]) if value else ""

    def to_python(self, value):
        if isinstance(value, str):
            return split_addresses(value)
        return list(value or [])


def split_addresses(value: str) -> list[str]:
    """Split on commas outside quotes and angle brackets: ``"Smith, John" <j@example.com>`` is one
    address (a plain ``split(",")`` would cut the display name in two)."""
    if '"' not in value and "<" not in value:  # nothing to keep together: the plain split is the same
        return [part.strip() for part in value.split(",") if part.strip()]
    parts, current, quoted, angle, escaped = [], [], False, False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angle = True
        elif char == ">" and not quoted:
            angle = False
        elif char == "," and not quoted and not angle:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]
