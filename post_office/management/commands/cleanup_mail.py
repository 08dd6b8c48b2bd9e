from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...utils import cleanup_expired_mails


class Command(BaseCommand):
    help = "Delete emails created more than --days ago (default 90)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("-d", "--days", type=int, default=90,
                            help="Emails older than this many days are deleted (default 90).")
        parser.add_argument("-da", "--delete-attachments", action="store_true", default=False,
                            help="Also delete attachments no email uses any more, with their files.")
        parser.add_argument("-b", "--batch-size", type=int, default=1000,
                            help="Rows deleted per query (default 1000).")

    def handle(self, *args, **options) -> None:
        if options["days"] < 0 or options["batch_size"] < 1:
            raise CommandError("--days must be >= 0 and --batch-size >= 1.")
        cutoff = timezone.now() - datetime.timedelta(days=options["days"])
        emails, attachments = cleanup_expired_mails(
            cutoff, delete_attachments=options["delete_attachments"], batch_size=options["batch_size"]
        )
        self.stdout.write(f"Deleted {emails} mails created before {cutoff:%Y-%m-%d %H:%M} "
                          f"and {attachments} attachments.")
