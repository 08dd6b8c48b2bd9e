"""Fault injection at a real SMTP server: refused connections, 451, 550, a drop mid-DATA."""

from __future__ import annotations

import pytest

from post_office.dispatch.engine import dispatch
from post_office.models import STATUS, Email, Log
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def faulty_sink(settings):
    with SmtpSink(refuse_every=10) as sink:  # 10 % of connections closed before the greeting
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 10
        settings.POST_OFFICE = {
            "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
            "BATCH_SIZE": 20, "THREADS_PER_PROCESS": 3, "MAX_RETRIES": 2, "RETRY_INTERVAL": 0,
            "LOG_LEVEL": 2,
        }
        yield sink


def test_temporary_faults_are_retried_permanent_ones_fail_with_the_smtp_code(faulty_sink, queue_emails):
    normal = queue_emails(200)
    deferred = queue_emails(20, headers={"X-Fault": "451-once"})
    rejected = queue_emails(10, headers={"X-Fault": "550"})
    dropped = queue_emails(1, headers={"X-Fault": "drop-once"})

    total = dispatch()

    assert faulty_sink.refused >= 3  # the faults really happened
    assert (total.sent, total.failed, total.requeued) == (221, 10, 20)
    received = [m.message["Message-ID"] for m in faulty_sink.messages]
    expected = set(Email.objects.exclude(id__in=rejected).values_list("message_id", flat=True))
    assert len(received) == len(set(received)) == len(expected) == 221  # nothing lost, nothing twice
    assert set(received) == expected

    # Refused connections and the dropped one are reopened within the batch: no retry spent.
    assert set(Email.objects.filter(id__in=normal).values_list("status", "number_of_retries")) == {
        (STATUS.sent, None)}
    assert not Log.objects.filter(email_id__in=normal, status=STATUS.failed).exists()
    assert Email.objects.filter(id=dropped[0]).values_list("status", "number_of_retries").get() == (
        STATUS.sent, None)

    # 451: requeued once (RETRY_INTERVAL 0), then delivered; the failed attempt is logged.
    assert set(Email.objects.filter(id__in=deferred).values_list("status", "number_of_retries")) == {
        (STATUS.sent, 1)}
    for email_id in deferred:
        failed, sent = Log.objects.filter(email_id=email_id).order_by("id")
        assert (failed.status, sent.status) == (STATUS.failed, STATUS.sent)
        assert "451" in failed.message and failed.exception_type == "SMTPDataError"

    # 550: failed at once, no retry, one log carrying the code.
    assert set(Email.objects.filter(id__in=rejected).values_list("status", "number_of_retries")) == {
        (STATUS.failed, None)}
    for email_id in rejected:
        [log] = Log.objects.filter(email_id=email_id)
        assert log.status == STATUS.failed
        assert "550" in log.message and log.exception_type == "SMTPDataError"


def test_unreachable_server_fails_fast_and_is_retried_later(settings, queue_emails):
    with SmtpSink() as sink:
        port = sink.port  # a port nobody listens on once the sink is stopped
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.POST_OFFICE = {
        "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
        "BATCH_SIZE": 50, "THREADS_PER_PROCESS": 2, "MAX_RETRIES": 3, "RETRY_INTERVAL": 600,
    }
    ids = queue_emails(50)

    total = dispatch()

    assert (total.sent, total.failed, total.requeued) == (0, 0, 50)
    assert set(Email.objects.filter(id__in=ids).values_list("status", "number_of_retries")) == {
        (STATUS.requeued, 1)}
    assert set(Log.objects.values_list("exception_type", flat=True)) == {"ConnectionRefusedError"}
    assert not Email.objects.exclude(lease_token="").exists()
