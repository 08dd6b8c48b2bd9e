"""Rendering: template lookup (cached, per language) and building the outgoing message.

Pure in spirit: (template, context, language) in, message parts out.
"""

from .templates import RenderedEmail, get_email_template, render_email_template

__all__ = ["RenderedEmail", "get_email_template", "render_email_template"]
