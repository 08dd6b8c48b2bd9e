from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from ...dispatch.engine import send_queued_until_done
from ...models import Email


class Command(BaseCommand):
    help = "Deliver queued emails until none is due. Safe to run on several hosts at once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("-p", "--processes", type=int, default=1,
                            help="Number of parallel processes to send email (default 1).")
        parser.add_argument("-L", "--lockfile", default="/tmp/post_office",
                            help="Accepted for compatibility and ignored: claims live in the database.")
        parser.add_argument("-l", "--log-level", type=int, default=None, choices=[0, 1, 2],
                            help="0: no logs, 1: failures, 2: everything (default: LOG_LEVEL).")

    def handle(self, *args, **options) -> None:
        if options["processes"] < 1:
            from django.core.management.base import CommandError

            raise CommandError("--processes must be at least 1.")
        started = time.monotonic()
        sent, failed, requeued = send_queued_until_done(
            processes=options["processes"], log_level=options["log_level"],
            progress=options["verbosity"] >= 1,
        )
        elapsed = time.monotonic() - started
        rate = sent / elapsed if elapsed > 0 else 0.0
        remaining = Email.objects.due().count()
        self.stdout.write(
            f"Done in {elapsed:.1f}s: {sent} sent, {failed} failed, {requeued} requeued, "
            f"{remaining} still due ({rate:.1f} emails/s)."
        )
