"""Safe previews of email HTML: sanitized, with ``cid:`` images served by the console and
remote images blocked unless asked for. The one preview path of the console: the email detail
(:func:`render_preview`) and the template studio both build their document with
:func:`preview_document` and serve it under :func:`preview_csp` in an ``<iframe sandbox>``.

Pure functions (plus a URL builder for inline images), so they are testable without the admin.
The sanitizer is one layer; the browser's sandbox and CSP are the other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.mime.base import MIMEBase

from bleach.html5lib_shim import Filter
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .errors import PostOfficeError
from .models import Email
from .rendering.message import rendered_parts
from .sanitize import sanitize_html

# Raster types a browser shows in <img> without running anything. SVG is left out: it is a
# document that can carry script when opened directly.
INLINE_IMAGE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/x-icon",
    "image/vnd.microsoft.icon", "image/avif",
})
BLOCKED_IMAGE_ATTR = "data-po-blocked"


@dataclass
class InlineImage:
    content_id: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Preview:
    """A complete HTML document, ready to serve under :func:`preview_csp`."""

    document: str
    blocked_remote_images: int = 0
    inline_images: list[str] = field(default_factory=list)  # content ids, in URL index order
    error: str = ""


def _content_id(value: str | None) -> str:
    return (value or "").strip().strip("<>").strip()


def image_from_part(part: MIMEBase) -> InlineImage:
    """The image carried by a MIME part of a built message (a ``{% inline_image %}`` part)."""
    return InlineImage(
        content_id=_content_id(part.get("Content-ID")),
        filename=part.get_filename() or "image",
        content_type=part.get_content_type(),
        data=part.get_payload(decode=True) or b"",
    )


def inline_images(email: Email, rendered: list[MIMEBase] | None = None) -> list[InlineImage]:
    """The email's ``cid:`` images: stored attachments with a Content-ID (in pk order), then the
    images a ``render_on_delivery`` template produces. The position in this list is the image's
    URL index: content ids of rendered images change on every render, positions do not.
    """
    images: list[InlineImage] = []
    for attachment in email.attachments.order_by("pk"):
        headers = {key.lower(): value for key, value in (attachment.headers or {}).items()}
        content_id = _content_id(headers.get("content-id"))
        if not content_id:
            continue
        try:
            with attachment.file.open("rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            data = b""  # a missing file previews as a broken image, not a 500
        images.append(InlineImage(content_id, attachment.name, attachment.mimetype or "", data))
    if rendered is None and email.template_id and email.context is not None:
        rendered = rendered_parts(email).inline_images
    images.extend(image_from_part(part) for part in rendered or [])
    return images


class _PreviewFilter(Filter):
    """Rewrites image and link URLs of already sanitized HTML for the preview document."""

    def __init__(self, source, cid_urls: dict[str, str], remote: bool, counter: list[int]) -> None:
        super().__init__(source)
        self.cid_urls, self.remote, self.counter = cid_urls, remote, counter

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "img":
                token["data"] = self._image(dict(token["data"]))
            elif token["type"] == "StartTag" and token["name"] == "a":
                attrs = dict(token["data"])
                # The sandbox has no allow-popups: a new-window link cannot leave the preview.
                attrs[(None, "target")] = "_blank"
                attrs[(None, "rel")] = "noopener noreferrer"
                token["data"] = attrs
            yield token

    def _image(self, attrs: dict) -> dict:
        src = (attrs.pop((None, "src"), "") or "").strip()
        lowered = src.lower()
        if lowered.startswith("cid:"):
            url = self.cid_urls.get(_content_id(src[4:]))
            if url:
                attrs[(None, "src")] = url
        elif lowered.startswith(("http://", "https://")):
            if self.remote:
                attrs[(None, "src")] = src
            else:
                # Tracking pixels: the request itself is the leak, so the URL goes entirely.
                self.counter[0] += 1
                attrs[(None, BLOCKED_IMAGE_ATTR)] = "1"
        # Anything else (relative paths, protocol-relative URLs) would reach the console's own
        # origin or an unknown host: dropped.
        return attrs


_DOCUMENT = (
    '<!DOCTYPE html><html><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<style>body{{margin:0;padding:16px;background:#fff;color:#111;font-family:system-ui,sans-serif;"
    "overflow-wrap:anywhere}}img[{blocked}]{{outline:1px dashed #bbb;min-width:16px;min-height:16px}}"
    ".po-note{{color:#666;font-style:italic}}</style></head><body>{body}</body></html>"
)


def _document(body: str) -> str:
    return _DOCUMENT.format(blocked=BLOCKED_IMAGE_ATTR, body=body)


def note_document(message: str) -> str:
    """A preview document that only states ``message`` (plain text, escaped here)."""
    return _document(f'<p class="po-note">{escape(message)}</p>')


def preview_document(html: str, images: Sequence[InlineImage], image_url_for: Callable[[int], str],
                     load_remote: bool = False) -> Preview:
    """``html`` sanitized into a standalone document, to serve under :func:`preview_csp`.

    ``cid:`` sources point at ``image_url_for(index)`` of the first of ``images`` with that
    content id; remote images are dropped (and counted, with a note on top) unless
    ``load_remote``; any other image source is removed.
    """
    cid_urls: dict[str, str] = {}
    for index, image in enumerate(images):
        if image.content_id and image.content_id not in cid_urls:
            cid_urls[image.content_id] = image_url_for(index)
    body, blocked = sanitize_preview_body(html, cid_urls, load_remote)
    if blocked:
        note = ngettext("%(count)d remote image blocked.", "%(count)d remote images blocked.", blocked) % {
            "count": blocked}
        body = f'<p class="po-note po-blocked">{escape(note)}</p>{body}'
    return Preview(document=_document(body), blocked_remote_images=blocked,
                   inline_images=[image.content_id for image in images])


def render_preview(email: Email, image_url: Callable[[int], str], remote_images: bool = False) -> Preview:
    """The sanitized HTML of ``email`` as a standalone document.

    ``image_url(index)`` builds the URL that serves ``inline_images(email)[index]``. A template
    that no longer renders gives a document stating the error, never an exception.
    """
    try:
        parts = rendered_parts(email)
        images = inline_images(email, rendered=parts.inline_images)
    except PostOfficeError as exc:
        message = _("This email cannot be rendered: %(error)s") % {"error": exc}
        return Preview(document=note_document(message), error=str(exc))
    if not parts.html:
        return Preview(document=note_document(_("This email has no HTML part; see the plain text tab.")))
    return preview_document(parts.html, images, image_url, load_remote=remote_images)


def sanitize_preview_body(html: str, cid_urls: dict[str, str], remote_images: bool = False) -> tuple[str, int]:
    """Sanitized ``html`` with ``cid:`` images pointed at ``cid_urls`` (content id -> URL), remote
    images dropped unless ``remote_images``, and other image sources removed. Returns the HTML
    and how many remote images were blocked.
    """
    counter = [0]
    body = sanitize_html(html, filters=[functools.partial(
        _PreviewFilter, cid_urls=cid_urls, remote=remote_images, counter=counter)])
    return body, counter[0]


def preview_csp(remote_images: bool = False) -> str:
    """The Content-Security-Policy of a preview document: nothing runs, nothing leaves.

    ``sandbox`` repeats the iframe's sandbox for anyone who opens the preview URL directly;
    remote image hosts are allowed only when the viewer switched remote images on.
    """
    img_src = "'self' http: https:" if remote_images else "'self'"
    return (
        f"default-src 'none'; img-src {img_src}; style-src 'unsafe-inline'; font-src 'none'; "
        "connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
    )


def inline_image_csp() -> str:
    """Served images are never documents: no script, no framing by others."""
    return "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
