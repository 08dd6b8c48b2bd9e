"""``{% inline_image %}``: embed an image as a ``cid:`` part of the email being rendered."""

from __future__ import annotations

import os
import uuid
from email.mime.image import MIMEImage

from django import template
from django.contrib.staticfiles import finders
from django.core.files import File

from ..template.backends.post_office import INLINE_IMAGES_KEY

register = template.Library()


def _read_image(source) -> tuple[bytes, str]:
    if isinstance(source, (File,)) or hasattr(source, "read"):
        if hasattr(source, "open") and getattr(source, "closed", False):
            source.open("rb")
        source.seek(0)
        return source.read(), os.path.basename(getattr(source, "name", "") or "image")
    path = str(source)
    if not os.path.isabs(path):
        found = finders.find(path)
        if not found:
            raise template.TemplateSyntaxError(f"inline_image: no static file {path!r}.")
        path = found if isinstance(found, str) else found[0]
    try:
        with open(path, "rb") as handle:
            return handle.read(), os.path.basename(path)
    except OSError as exc:
        raise template.TemplateSyntaxError(f"inline_image: cannot read {path!r}: {exc}") from exc


@register.simple_tag(takes_context=True)
def inline_image(context, file) -> str:
    """Return ``cid:<id>`` and remember the image so the engine can attach it."""
    images = context.get(INLINE_IMAGES_KEY)
    if images is None:
        raise template.TemplateSyntaxError(
            "inline_image needs the post_office template engine "
            "(TEMPLATES BACKEND 'post_office.template.backends.post_office.PostOfficeTemplates' "
            "and POST_OFFICE['TEMPLATE_ENGINE'] = 'post_office')."
        )
    content, filename = _read_image(file)
    try:
        image = MIMEImage(content)
    except TypeError as exc:  # the image type could not be guessed from its bytes
        raise template.TemplateSyntaxError(f"inline_image: {filename!r} is not an image.") from exc
    content_id = f"{uuid.uuid4().hex}@post_office"
    image.add_header("Content-ID", f"<{content_id}>")
    image.add_header("Content-Disposition", "inline", filename=filename)
    images.append(image)
    return f"cid:{content_id}"
