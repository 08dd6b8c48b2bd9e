from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from ...dispatch.engine import dispatch, progress_line
from ...dispatch.record import Tally
from ...models import Email


class Command(BaseCommand):
    # English, as Django's own commands: operators and scripts read this output, not the site's users.
    help = "Deliver queued emails until none is due. Safe to run on several hosts at once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("-p", "--processes", type=int, default=1,
                            help="Number of parallel processes to send email (default 1).")
        parser.add_argument("-L", "--lockfile", default="/tmp/post_office",
                            help="Accepted for compatibility and ignored: claims live in the database, "
                                 "so several dispatchers may run at once.")
        parser.add_argument("-l", "--log-level", type=int, default=None, choices=[0, 1, 2],
                            help="0: no logs, 1: failures, 2: everything (default: LOG_LEVEL).")
        parser.add_argument("--progress-interval", type=float, default=10.0,
                            help="Seconds between progress lines on long runs (default 10).")

    def handle(self, *args, **options) -> None:
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1.")
        if options["progress_interval"] < 0:
            raise CommandError("--progress-interval must not be negative.")
        verbose = options["verbosity"] >= 1
        started = time.monotonic()
        total = dispatch(
            processes=options["processes"], log_level=options["log_level"],
            on_progress=self._progress if verbose else None,
            progress_every=options["progress_interval"], handle_signals=True,
        )
        elapsed = time.monotonic() - started
        if verbose:
            rate = total.sent / elapsed if elapsed > 0 else 0.0
            # English whatever LANGUAGE_CODE is, like the progress lines: scripts and cron mail read them.
            remaining = Email.objects.due().count()
            self.stdout.write(f"Done in {elapsed:.1f}s: {total.sent} sent, {total.failed} failed, "
                              f"{total.requeued} requeued, {remaining} still due ({rate:.1f} emails/s).")

    def _progress(self, tally: Tally, elapsed: float) -> None:
        self.stdout.write(f"Progress: {progress_line(tally, elapsed)}")
        self.stdout.flush()
