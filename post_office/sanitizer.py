"""django-post_office's ``post_office.sanitizer`` names, over :mod:`post_office.sanitize`."""

from .sanitize import ALLOWED_ATTRIBUTES as attributes
from .sanitize import ALLOWED_TAGS as tags
from .sanitize import sanitize_html as clean_html

__all__ = ["attributes", "clean_html", "tags"]
