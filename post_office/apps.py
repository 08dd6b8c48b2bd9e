from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostOfficeConfig(AppConfig):
    name = "post_office"
    verbose_name = _("Post Office")
    # django-post_office's tables use integer ids; keep them for drop-in upgrades.
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the system checks
            tasks,  # noqa: F401 - connects the CELERY_ENABLED handler
        )
        from .webhooks.anymail import connect

        connect()  # anymail's tracking events feed delivery statuses, when anymail is installed
