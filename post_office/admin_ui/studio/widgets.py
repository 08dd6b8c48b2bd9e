"""Monospace source editors: unfold's widgets, with the studio's code styling added."""

from __future__ import annotations

from django import forms

_ROWS = {"content": 12, "html_content": 16}


def monospace(formfield: forms.Field | None, name: str) -> forms.Field | None:
    if formfield is None or name not in ("subject", *_ROWS):
        return formfield
    attrs = formfield.widget.attrs
    attrs["class"] = f"{attrs.get('class', '')} po-mono".strip()
    attrs["spellcheck"] = "false"
    if name in _ROWS:
        attrs["rows"] = _ROWS[name]
    return formfield
