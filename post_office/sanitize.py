"""Email HTML is untrusted: the allowlist every console preview goes through.

Keeps what email layout needs (tables, inline styles, images) and drops scripts, event
handlers, forms, frames, ``javascript:``/``data:`` URLs and CSS that loads or positions things.
Defence in depth: previews are also shown in a sandboxed iframe under a strict CSP.
"""

from __future__ import annotations

import re

import bleach
from bleach.css_sanitizer import CSSSanitizer

ALLOWED_TAGS = frozenset({
    "a", "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt",
    "u", "ul", "var",
})
_COMMON = ["align", "bgcolor", "class", "dir", "height", "id", "lang", "style", "title", "valign", "width"]
ALLOWED_ATTRIBUTES = {
    "*": _COMMON,
    "a": [*_COMMON, "href", "name", "target"],
    "img": [*_COMMON, "alt", "border", "src", "hspace", "vspace"],
    "table": [*_COMMON, "border", "cellpadding", "cellspacing", "summary"],
    "td": [*_COMMON, "colspan", "rowspan", "nowrap"],
    "th": [*_COMMON, "colspan", "rowspan", "nowrap", "scope"],
    "font": [*_COMMON, "color", "face", "size"],
    "col": [*_COMMON, "span"],
    "colgroup": [*_COMMON, "span"],
    "ol": [*_COMMON, "start", "type"],
    "ul": [*_COMMON, "type"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "cid", "tel"})
ALLOWED_CSS_PROPERTIES = frozenset({
    "background-color", "border", "border-bottom", "border-collapse", "border-color", "border-left",
    "border-radius", "border-right", "border-spacing", "border-style", "border-top", "border-width",
    "color", "direction", "display", "font", "font-family", "font-size", "font-style", "font-weight",
    "height", "letter-spacing", "line-height", "list-style-type", "margin", "margin-bottom",
    "margin-left", "margin-right", "margin-top", "max-width", "min-width", "padding", "padding-bottom",
    "padding-left", "padding-right", "padding-top", "table-layout", "text-align", "text-decoration",
    "text-indent", "text-transform", "vertical-align", "white-space", "width", "word-break",
    "word-wrap",
})

_css = CSSSanitizer(allowed_css_properties=ALLOWED_CSS_PROPERTIES)
# url(), expression() and escapes smuggle requests or script through CSS values bleach accepts.
_DANGEROUS_CSS = re.compile(r"url\s*\(|expression\s*\(|\\|javascript:|behavior\s*:|-moz-binding", re.I)


def _filter_attribute(tag: str, name: str, value: str) -> bool:
    allowed = ALLOWED_ATTRIBUTES.get(tag, ALLOWED_ATTRIBUTES["*"])
    if name not in allowed:
        return False
    return not (name == "style" and _DANGEROUS_CSS.search(value))


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_filter_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    css_sanitizer=_css,
)


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the email allowlist (never raises on malformed markup)."""
    if not html:
        return ""
    return _cleaner.clean(html)
