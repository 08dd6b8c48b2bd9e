"""Registers the console with the default admin site (imported by ``post_office/admin.py``)."""

from __future__ import annotations

from django.contrib import admin

from ..models import Attachment, Email, EmailTemplate, Log, Suppression
from .attachment_admin import AttachmentAdmin
from .email_admin import EmailAdmin
from .log_admin import LogAdmin
from .suppression_admin import SuppressionAdmin
from .templates_admin import EmailTemplateAdmin

admin.site.register(Email, EmailAdmin)
admin.site.register(Log, LogAdmin)
admin.site.register(Attachment, AttachmentAdmin)
admin.site.register(EmailTemplate, EmailTemplateAdmin)
admin.site.register(Suppression, SuppressionAdmin)
