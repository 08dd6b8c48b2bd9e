"""A Django template engine that remembers images rendered by ``{% inline_image %}``.

``template.attach_related(message)`` then adds them to an ``EmailMultiAlternatives`` as
``multipart/related`` parts with a ``Content-ID``, which the HTML references as ``cid:...``.
"""

from __future__ import annotations

from email.mime.base import MIMEBase
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.backends.django import DjangoTemplates
from django.template.backends.django import Template as DjangoTemplate

INLINE_IMAGES_KEY = "_post_office_inline_images"


class Template(DjangoTemplate):
    def __init__(self, template, backend) -> None:
        super().__init__(template, backend)
        self.inline_images: list[MIMEBase] = []

    def render(self, context: dict[str, Any] | None = None, request=None) -> str:
        self.inline_images = []
        context = dict(context or {})
        context[INLINE_IMAGES_KEY] = self.inline_images
        return super().render(context, request)

    def attach_related(self, email_message: EmailMultiAlternatives) -> None:
        """Attach the images of the last render as inline parts of ``email_message``."""
        if not self.inline_images:
            return
        email_message.mixed_subtype = "related"
        for image in self.inline_images:
            email_message.attach(image)


class PostOfficeTemplates(DjangoTemplates):
    """``BACKEND: 'post_office.template.backends.post_office.PostOfficeTemplates'``."""

    app_dirname = "templates"

    def __init__(self, params: dict[str, Any]) -> None:
        params = params.copy()
        options = dict(params.get("OPTIONS", {}))
        builtins = list(options.get("builtins", []))
        if "post_office.templatetags.post_office" not in builtins:
            builtins.append("post_office.templatetags.post_office")
        options["builtins"] = builtins
        params["OPTIONS"] = options
        params.setdefault("NAME", "post_office")
        super().__init__(params)

    def from_string(self, template_code: str) -> Template:
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> Template:
        from django.template import TemplateDoesNotExist
        from django.template.backends.django import reraise

        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            reraise(exc, self)
            raise
