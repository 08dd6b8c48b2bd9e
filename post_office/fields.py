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
        return ", ".join(map(lambda s: s.strip(), value or []))

    def to_python(self, value):
        if isinstance(value, str):
            if value == "":
                return []
            return [s.strip() for s in value.split(",")]
        return list(value or [])
