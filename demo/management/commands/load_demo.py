"""``manage.py load_demo``: sample templates, a few hundred emails and an admin user."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Count

from post_office.models import Email

from ...sample_data.load import load, reset


class Command(BaseCommand):
    help = "Load the demo's templates and emails (idempotent) and (re)set the admin user's password."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reset", action="store_true",
                            help="Delete the demo emails first and create them again.")
        parser.add_argument("--no-admin", action="store_true", help="Do not create or update the admin user.")

    def handle(self, *args, **options) -> None:
        if options["reset"]:
            self.stdout.write(f"Deleted {reset()} demo emails.")
        result = load()
        if result.created:
            self.stdout.write(f"Loaded {result.templates} templates and {result.created} emails.")
        else:
            self.stdout.write(f"Templates up to date ({result.templates}); demo emails already loaded "
                              "(use --reset to recreate them).")
        by_status = dict(Email.objects.values_list("status").annotate(n=Count("pk")).order_by("status"))
        labels = {value: label for value, label in Email._meta.get_field("status").choices}
        self.stdout.write("Emails by status: " + ", ".join(
            f"{labels.get(status, status)} {count}" for status, count in by_status.items()))
        if not options["no_admin"]:
            self._admin()

    def _admin(self) -> None:
        # A fresh random password each run unless DEMO_ADMIN_PASSWORD pins one.
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user_model = get_user_model()
        user, _created = user_model.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com"})
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        line = f"Admin: http://127.0.0.1:8000/admin/  user: admin  password: {password}"
        bar = "=" * len(line)
        self.stdout.write(self.style.SUCCESS(f"\n{bar}\n{line}\n{bar}\n"))
