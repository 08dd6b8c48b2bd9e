from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ...dispatch.engine import dispatch, progress_line
from ...dispatch.record import Tally
from ...models import Email


class Command(BaseCommand):
    help = _("Deliver queued emails until none is due. Safe to run on several hosts at once.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("-p", "--processes", type=int, default=1,
                            help=_("Number of parallel processes to send email (default 1)."))
        parser.add_argument("-L", "--lockfile", default="/tmp/post_office",
                            help=_("Accepted for compatibility and ignored: claims live in the database, "
                                   "so several dispatchers may run at once."))
        parser.add_argument("-l", "--log-level", type=int, default=None, choices=[0, 1, 2],
                            help=_("0: no logs, 1: failures, 2: everything (default: LOG_LEVEL)."))
        parser.add_argument("--progress-interval", type=float, default=10.0,
                            help=_("Seconds between progress lines on long runs (default 10)."))

    def handle(self, *args, **options) -> None:
        if options["processes"] < 1:
            raise CommandError(_("--processes must be at least 1."))
        if options["progress_interval"] < 0:
            raise CommandError(_("--progress-interval must not be negative."))
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
            self.stdout.write(_(
                "Done in %(elapsed).1fs: %(sent)d sent, %(failed)d failed, %(requeued)d requeued, "
                "%(remaining)d still due (%(rate).1f emails/s)."
            ) % {"elapsed": elapsed, "sent": total.sent, "failed": total.failed, "requeued": total.requeued,
                 "remaining": Email.objects.due().count(), "rate": rate})

    def _progress(self, tally: Tally, elapsed: float) -> None:
        self.stdout.write(_("Progress: %(line)s") % {"line": progress_line(tally, elapsed)})
        self.stdout.flush()
