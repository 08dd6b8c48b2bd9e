"""Importing this module puts the template studio in the admin, replacing any earlier
EmailTemplate admin (post_office/admin.py imports it after the email console)."""

from __future__ import annotations

from .admin import register

register()
