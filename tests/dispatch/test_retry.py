"""RetryPolicy and the permanent/temporary split: pure, no database."""

from __future__ import annotations

import random
import smtplib
from datetime import UTC, datetime, timedelta

import pytest

from post_office.dispatch.retry import RetryPolicy, is_permanent, smtp_code
from post_office.errors import InvalidTemplateError


def test_delay_grows_by_backoff_per_earlier_retry():
    policy = RetryPolicy(max_retries=5, interval=timedelta(seconds=60), backoff=2)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


def test_default_backoff_is_the_fixed_retry_interval():
    policy = RetryPolicy(max_retries=3, interval=timedelta(minutes=15))
    assert {policy.delay(n) for n in (1, 2, 3)} == {timedelta(minutes=15)}


def test_jitter_shortens_the_delay_by_at_most_its_fraction():
    policy = RetryPolicy(max_retries=3, interval=timedelta(seconds=100), backoff=3, jitter=0.25)
    rng = random.Random(7)
    delays = [policy.delay(2, rng).total_seconds() for _ in range(200)]
    assert min(delays) >= 225 and max(delays) <= 300
    assert len(set(delays)) > 100  # really random, so failed batches do not retry in lockstep


def test_next_attempt_is_now_plus_the_delay_of_the_next_retry():
    policy = RetryPolicy(max_retries=3, interval=timedelta(seconds=10), backoff=2)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert policy.next_attempt(0, now) == now + timedelta(seconds=10)
    assert policy.next_attempt(2, now) == now + timedelta(seconds=40)


def test_retries_stop_at_max_retries_and_never_for_permanent_errors():
    policy = RetryPolicy(max_retries=2)
    temporary = smtplib.SMTPDataError(451, b"try later")
    assert policy.should_retry(0, temporary) and policy.should_retry(1, temporary)
    assert not policy.should_retry(2, temporary)
    assert not policy.should_retry(0, smtplib.SMTPDataError(550, b"no"))
    assert not RetryPolicy(max_retries=0).should_retry(0, temporary)


@pytest.mark.parametrize(("exc", "permanent"), [
    (smtplib.SMTPDataError(550, b"rejected"), True),
    (smtplib.SMTPSenderRefused(553, b"bad sender", "a@example.com"), True),
    (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), True),
    (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no"), "b@example.com": (452, b"full")}), False),
    (smtplib.SMTPDataError(451, b"greylisted"), False),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
    (ConnectionRefusedError(111, "Connection refused"), False),
    (TimeoutError("timed out"), False),
    (InvalidTemplateError("template: broken"), True),
    (RuntimeError("an ESP said no"), False),
])
def test_is_permanent_classifies_smtp_replies_and_connection_errors(exc, permanent):
    assert is_permanent(exc) is permanent


def test_smtp_code_reads_replies_and_refused_recipients():
    assert smtp_code(smtplib.SMTPDataError(451, b"x")) == 451
    assert smtp_code(smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no")})) == 550
    assert smtp_code(ConnectionRefusedError()) is None
