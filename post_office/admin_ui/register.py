"""Registers the console with the default admin site (imported by ``post_office/admin.py``)."""

from __future__ import annotations

from django.contrib import admin

from ..models import Attachment, Email, EmailTemplate, Log, Suppression
from .attachment_admin import AttachmentAdmin
from .dashboard.admin import register as register_dashboard
from .email_admin import EmailAdmin
from .log_admin import LogAdmin
from .studio.admin import EmailTemplateStudioAdmin
from .suppression_admin import SuppressionAdmin

admin.site.register(Email, EmailAdmin)
admin.site.register(Log, LogAdmin)
admin.site.register(Attachment, AttachmentAdmin)
admin.site.register(EmailTemplate, EmailTemplateStudioAdmin)
admin.site.register(Suppression, SuppressionAdmin)
register_dashboard(admin.site)
