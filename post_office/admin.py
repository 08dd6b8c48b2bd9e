"""Django discovers this module; the console itself lives in :mod:`post_office.admin_ui`."""

from .admin_ui import register  # noqa: F401 - registering the ModelAdmins is the import's effect
from .admin_ui.dashboard import register as _dashboard_register  # noqa: E402,F401
from .admin_ui.studio import register as _studio_register  # noqa: E402,F401
