"""Django discovers this module; the console itself lives in :mod:`post_office.admin_ui`."""

from .admin_ui import register  # noqa: F401 - registering the ModelAdmins is the import's effect
