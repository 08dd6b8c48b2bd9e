"""Importing this module puts the dashboard and the per-backend page in the default admin site
(post_office/admin.py imports it)."""

from __future__ import annotations

from .admin import register

register()
