"""``render_to_string`` that also hands back the images ``{% inline_image %}`` collected."""

from __future__ import annotations

from typing import Any

from django.template.loader import get_template, select_template


def render_to_string(template_name, context: dict[str, Any] | None = None, request=None, using=None):
    """Render ``template_name``; with the ``post_office`` engine return ``(html, inline_images)``.

    With any other engine the rendered string alone comes back, as in django-post_office.
    """
    if isinstance(template_name, (list, tuple)):
        template = select_template(template_name, using=using)
    else:
        template = get_template(template_name, using=using)
    rendered = template.render(context, request)
    if hasattr(template, "inline_images"):
        return rendered, template.inline_images
    return rendered
