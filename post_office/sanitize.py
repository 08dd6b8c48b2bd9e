"""Email HTML is untrusted: the allowlist every console preview goes through.

Keeps what email layout needs (tables, inline styles, images) and drops scripts, event
handlers, forms, frames, ``javascript:``/``data:`` URLs and CSS that loads or positions things.
Defence in depth: previews are also shown in a sandboxed iframe under a strict CSP.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable

import bleach
from bleach import html5lib_shim
from bleach.css_sanitizer import CSSSanitizer
from bleach.html5lib_shim import Filter
from bleach.sanitizer import BleachSanitizerFilter

ALLOWED_TAGS = frozenset({
    "a", "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt",
    "u", "ul", "var",
})
_COMMON = ["align", "bgcolor", "class", "dir", "height", "lang", "style", "title", "valign", "width"]
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
# Elements whose *content* is code or markup in another parser mode: stripping only the tag would
# leave their text behind (harmless but noisy) or, for foreign content (svg/math), invite mXSS.
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "noembed", "noframes", "iframe", "frame", "frameset",
    "object", "embed", "applet", "svg", "math", "title", "textarea", "xmp", "plaintext", "select",
    "head", "meta", "link", "base",
})

_css = CSSSanitizer(allowed_css_properties=ALLOWED_CSS_PROPERTIES)
# url(), expression() and escapes smuggle requests or script through CSS values bleach accepts.
_DANGEROUS_CSS = re.compile(r"url\s*\(|expression\s*\(|\\|javascript:|behavior\s*:|-moz-binding|@import", re.I)


def _filter_attribute(tag: str, name: str, value: str) -> bool:
    allowed = ALLOWED_ATTRIBUTES.get(tag, ALLOWED_ATTRIBUTES["*"])
    if name not in allowed:
        return False
    return not (name == "style" and _DANGEROUS_CSS.search(value))


class DropContentFilter(Filter):
    """Remove :data:`DROPPED_WITH_CONTENT` elements together with everything inside them."""

    def __iter__(self):
        depth = 0
        for token in super().__iter__():
            kind = token["type"]
            name = (token.get("name") or "").lower()
            if name in DROPPED_WITH_CONTENT and kind in ("StartTag", "EndTag", "EmptyTag"):
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag" and depth:
                    depth -= 1
                continue
            if not depth:
                yield token


class EmailCleaner(bleach.Cleaner):
    """bleach's Cleaner with :class:`DropContentFilter` run *before* the allowlist.

    bleach's tokenizer turns a disallowed tag into text before the tree is built, so the parser
    must know the dropped elements as tags for their content to be parsed (as a browser would)
    and removed as a whole.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=set(self.tags) | DROPPED_WITH_CONTENT, strip=self.strip, consume_entities=False,
            namespaceHTMLElements=False,
        )

    def clean(self, text: str) -> str:
        if not text:
            return ""
        dom = self.parser.parseFragment(text)
        filtered = BleachSanitizerFilter(
            source=DropContentFilter(self.walker(dom)),
            allowed_tags=self.tags,
            attributes=self.attributes,
            strip_disallowed_tags=self.strip,
            strip_html_comments=self.strip_comments,
            css_sanitizer=self.css_sanitizer,
            allowed_protocols=self.protocols,
        )
        for filter_class in self.filters:
            filtered = filter_class(source=filtered)
        return self.serializer.render(filtered)


def _cleaner(filters: Iterable[Callable] = ()) -> EmailCleaner:
    return EmailCleaner(
        tags=ALLOWED_TAGS,
        attributes=_filter_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        css_sanitizer=_css,
        filters=list(filters),
    )


# A Cleaner keeps parser state: one per thread (the console runs under threaded servers).
_local = threading.local()


def sanitize_html(html: str, filters: Iterable[Callable] = ()) -> str:
    """Return ``html`` reduced to the email allowlist (never raises on malformed markup).

    ``filters`` are html5lib filter factories run *after* the allowlist (the preview uses one to
    rewrite ``cid:`` and remote image URLs); each is called as ``factory(source=stream)``.
    """
    if not html:
        return ""
    if filters:
        cleaner = _cleaner(filters)
    else:
        cleaner = getattr(_local, "cleaner", None) or _cleaner()
        _local.cleaner = cleaner
    return cleaner.clean(html)
