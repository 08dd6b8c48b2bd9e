"""What to do after a failed delivery: retry later, or give up now."""

from __future__ import annotations

import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..conf import post_office_settings


def is_permanent(exc: BaseException) -> bool:
    """True for failures a retry cannot fix: SMTP 5xx replies, and unrenderable messages.

    Temporary: 4xx replies, dropped or refused connections, timeouts, and anything a non-SMTP
    backend raises (we cannot tell, so the retry budget decides, as django-post_office did).
    """
    from ..errors import AttachmentError, InvalidTemplateError, SuppressedRecipientError

    if isinstance(exc, (InvalidTemplateError, AttachmentError, SuppressedRecipientError)):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def smtp_code(exc: BaseException) -> int | None:
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return next(iter(exc.recipients.values()))[0]
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Delay before retry number ``n`` (1-based) is ``interval * backoff ** (n - 1)``, then
    multiplied by a random factor in ``[1 - jitter, 1]``. ``backoff = 1`` and ``jitter = 0`` is
    django-post_office's fixed ``RETRY_INTERVAL``. No retry once ``max_retries`` were used.
    """

    max_retries: int = 0
    interval: timedelta = timedelta(minutes=15)
    backoff: float = 1.0
    jitter: float = 0.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            max_retries=post_office_settings.max_retries,
            interval=post_office_settings.retry_interval,
            backoff=post_office_settings.retry_backoff,
            jitter=post_office_settings.retry_jitter,
        )

    def delay(self, retry_number: int, rng: random.Random | None = None) -> timedelta:
        base = self.interval.total_seconds() * self.backoff ** max(retry_number - 1, 0)
        if self.jitter:
            base *= 1 - (rng or random).random() * self.jitter
        return timedelta(seconds=base)

    def should_retry(self, retries_done: int, exc: BaseException) -> bool:
        return not is_permanent(exc) and retries_done < self.max_retries

    def next_attempt(self, retries_done: int, now: datetime) -> datetime:
        """When retry number ``retries_done + 1`` is due."""
        return now + self.delay(retries_done + 1)
