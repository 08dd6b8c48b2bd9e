"""Every ``POST_OFFICE`` setting of the spec, observed through what arrives at the SMTP sink."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest
from django.core import checks
from django.core.mail.backends import smtp
from django.utils import timezone

from post_office import mail
from post_office.conf import post_office_settings
from post_office.errors import ConfigurationError
from post_office.models import PRIORITY, STATUS, Email, Log

pytestmark = pytest.mark.django_db
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SlowSMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend, taking ``DELAY`` seconds per message (a slow provider)."""

    DELAY = 0.15

    def send_messages(self, email_messages):
        time.sleep(self.DELAY)
        return super().send_messages(email_messages)


class SlowerSMTPBackend(SlowSMTPBackend):
    DELAY = 0.5


@pytest.fixture
def configure(settings, smtp_backend):
    """``configure(KEY=value, ...)``: POST_OFFICE settings on top of the SMTP sink backend."""

    def apply(**values):
        settings.POST_OFFICE = {**settings.POST_OFFICE, **values}

    return apply


def queue(count: int, **kwargs) -> list[Email]:
    return [mail.send(f"user{n}@example.com", "from@example.com", subject=kwargs.pop("subject", f"S{n}"),
                      message="M", **kwargs) for n in range(count)]


def subjects(sink) -> list[str]:
    return [m.message["Subject"] for m in sink.messages]


# --- BATCH_SIZE / BATCH_DELIVERY_TIMEOUT / THREADS_PER_PROCESS ------------------------------------

def test_batch_size_limits_one_batch(configure, smtp_backend):
    configure(BATCH_SIZE=2)
    queue(5)
    assert mail.send_queued() == (2, 0, 0)
    assert len(smtp_backend.messages) == 2
    assert Email.objects.filter(status=STATUS.queued).count() == 3


def test_batch_delivery_timeout_returns_unstarted_emails_to_the_queue(configure, smtp_backend, settings):
    # Sends start at 0, 0.5 and 1.0 s; the fourth would start at 1.5 s, after the deadline.
    configure(BATCH_DELIVERY_TIMEOUT=1.2, THREADS_PER_PROCESS=1,
              BACKENDS={"default": "tests.test_settings.SlowerSMTPBackend"})
    queue(4)

    sent, failed, requeued = mail.send_queued()

    assert 1 <= sent < 4 and (failed, requeued) == (0, 0)
    assert len(smtp_backend.messages) == sent
    left = Email.objects.filter(status=STATUS.queued)
    assert left.count() == 4 - sent
    # Not counted as an attempt, and free for the next dispatcher at once.
    assert set(left.values_list("lease_token", "number_of_retries")) == {("", None)}
    assert Log.objects.count() == sent
    configure(BATCH_DELIVERY_TIMEOUT=60)
    assert mail.send_queued() == (4 - sent, 0, 0)


@pytest.mark.parametrize("threads", [1, 3])
def test_threads_per_process_opens_one_connection_per_thread(configure, smtp_backend, threads):
    configure(THREADS_PER_PROCESS=threads, BACKENDS={"default": "tests.test_settings.SlowSMTPBackend"})
    smtp_backend.hold_until_connections(threads)  # no thread can send them all before the others start
    queue(6)
    assert mail.send_queued() == (6, 0, 0)
    connections = {m.peer for m in smtp_backend.messages}
    assert len(connections) == threads


# --- DEFAULT_PRIORITY / SENDING_ORDER --------------------------------------------------------------

@pytest.mark.parametrize("name, value", [("low", PRIORITY.low), ("high", PRIORITY.high)])
def test_default_priority_applies_when_none_is_given(configure, name, value):
    configure(DEFAULT_PRIORITY=name)
    assert mail.send("a@example.com", "f@example.com", subject="S").priority == value
    assert mail.send("a@example.com", "f@example.com", subject="S", priority="medium").priority == PRIORITY.medium


def test_default_priority_now_sends_immediately(configure, smtp_backend):
    configure(DEFAULT_PRIORITY="now")
    email = mail.send("a@example.com", "f@example.com", subject="immediate")
    assert email.status == STATUS.sent and subjects(smtp_backend) == ["immediate"]


def test_default_sending_order_is_highest_priority_first(configure, smtp_backend):
    configure(BATCH_SIZE=1)
    mail.send("a@example.com", "f@example.com", subject="low", priority="low")
    mail.send("a@example.com", "f@example.com", subject="high", priority="high")
    mail.send("a@example.com", "f@example.com", subject="medium", priority="medium")
    for _ in range(3):
        mail.send_queued()
    assert subjects(smtp_backend) == ["high", "medium", "low"]


def test_sending_order_created_is_fifo(configure, smtp_backend):
    configure(BATCH_SIZE=1, SENDING_ORDER=["created"])
    for name, priority in (("first", "low"), ("second", "high"), ("third", "medium")):
        email = mail.send("a@example.com", "f@example.com", subject=name, priority=priority)
        # Distinct timestamps even on a fast machine.
        Email.objects.filter(pk=email.pk).update(
            created=timezone.now() + datetime.timedelta(seconds=Email.objects.count()))
    for _ in range(3):
        mail.send_queued()
    assert subjects(smtp_backend) == ["first", "second", "third"]


# --- OVERRIDE_RECIPIENTS / MESSAGE_ID ------------------------------------------------------------

def test_override_recipients_redirects_every_copy(configure, smtp_backend):
    configure(OVERRIDE_RECIPIENTS=["to@example.com", "to2@example.com"])
    email = mail.send(["real@example.com"], "f@example.com", cc=["cc@example.com"], bcc=["bcc@example.com"],
                      subject="S", message="M", priority="now")

    [received] = smtp_backend.messages
    assert sorted(received.rcpt_tos) == ["to2@example.com", "to@example.com"]
    assert received.message["To"] == "to@example.com, to2@example.com"
    assert "Cc" not in received.message
    email.refresh_from_db()
    assert email.to == ["real@example.com"]  # the record keeps who it was meant for


def test_message_id_enabled_stores_the_id_that_is_sent(configure, smtp_backend):
    configure(MESSAGE_ID_ENABLED=True, MESSAGE_ID_FQDN="mail.example.com")
    email = mail.send("a@example.com", "f@example.com", subject="S", message="M")
    assert re.fullmatch(r"<[^@<>]+@mail\.example\.com>", email.message_id)
    mail.send_queued()
    assert smtp_backend.messages[0].message["Message-ID"] == email.message_id
    assert Email.objects.filter(message_id=email.message_id).exists()


def test_message_id_fqdn_defaults_to_the_host_name(configure):
    from django.core.mail.utils import DNS_NAME

    configure(MESSAGE_ID_ENABLED=True)
    email = mail.send("a@example.com", "f@example.com", subject="S")
    assert email.message_id.endswith(f"@{DNS_NAME}>")


def test_message_id_disabled_stores_none_but_the_message_still_has_one(configure, smtp_backend):
    email = mail.send("a@example.com", "f@example.com", subject="S", message="M", priority="now")
    assert Email.objects.get(pk=email.pk).message_id is None
    assert smtp_backend.messages[0].message["Message-ID"]


# --- MAX_RETRIES / RETRY_INTERVAL ----------------------------------------------------------------

def test_temporary_failure_is_retried_after_retry_interval(configure, smtp_backend):
    # A stable Message-ID lets the sink recognise the retry of the same message.
    configure(MAX_RETRIES=2, RETRY_INTERVAL=datetime.timedelta(minutes=15), MESSAGE_ID_ENABLED=True)
    email = mail.send("a@example.com", "f@example.com", subject="S", message="M", headers={"X-Fault": "451-once"})
    before = timezone.now()

    assert mail.send_queued() == (0, 0, 1)
    email.refresh_from_db()
    assert (email.status, email.number_of_retries) == (STATUS.requeued, 1)
    delay = email.scheduled_time - before
    assert datetime.timedelta(minutes=14, seconds=55) < delay < datetime.timedelta(minutes=15, seconds=5)
    [log] = email.logs.all()
    assert log.status == STATUS.failed and "451" in log.message
    assert mail.send_queued() == (0, 0, 0)  # not due yet

    Email.objects.filter(pk=email.pk).update(scheduled_time=timezone.now())
    assert mail.send_queued() == (1, 0, 0)
    email.refresh_from_db()
    assert email.status == STATUS.sent
    assert len(smtp_backend.messages) == 1


def test_without_max_retries_a_failure_is_final(configure):
    email = mail.send("a@example.com", "f@example.com", subject="S", message="M", headers={"X-Fault": "451-once"})
    assert mail.send_queued() == (0, 1, 0)
    email.refresh_from_db()
    assert (email.status, email.number_of_retries) == (STATUS.failed, None)


def test_retries_stop_after_max_retries(configure):
    configure(MAX_RETRIES=1, RETRY_INTERVAL=datetime.timedelta(0),
              BACKENDS={"default": "tests.test_mail.ExplodingBackend"})
    email = mail.send("a@example.com", "f@example.com", subject="S", message="M")
    assert mail.send_queued() == (0, 0, 1)
    assert mail.send_queued() == (0, 1, 0)
    email.refresh_from_db()
    assert (email.status, email.number_of_retries) == (STATUS.failed, 1)
    assert email.logs.count() == 2


# --- LOG_LEVEL -----------------------------------------------------------------------------------

@pytest.mark.parametrize("level, expected", [
    (0, []), (1, [STATUS.failed]), (2, [STATUS.failed, STATUS.sent]),
])
def test_log_level_decides_which_attempts_are_logged(configure, level, expected):
    configure(LOG_LEVEL=level)
    mail.send("a@example.com", "f@example.com", subject="ok", message="M")
    mail.send("b@example.com", "f@example.com", subject="bad", message="M", headers={"X-Fault": "550"})
    assert mail.send_queued() == (1, 1, 0)
    assert sorted(Log.objects.values_list("status", flat=True)) == sorted(expected)


def test_log_level_argument_overrides_the_setting(configure):
    configure(LOG_LEVEL=2)
    mail.send("a@example.com", "f@example.com", subject="ok", message="M", priority="now", log_level=0)
    mail.send("b@example.com", "f@example.com", subject="ok", message="M")
    mail.send_queued(log_level=1)
    assert Log.objects.count() == 0


# --- BACKENDS ------------------------------------------------------------------------------------

def test_without_backends_email_backend_is_used_and_never_post_office_itself(settings, smtp_sink):
    settings.POST_OFFICE = {}
    settings.EMAIL_BACKEND = "post_office.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port

    from django.core.mail import send_mail

    send_mail("via Django", "body", "f@example.com", ["a@example.com"])
    assert Email.objects.get().status == STATUS.queued
    assert mail.send_queued() == (1, 0, 0)
    assert subjects(smtp_sink) == ["via Django"]


def test_backends_must_not_name_post_office_itself(settings):
    settings.POST_OFFICE = {"BACKENDS": {"default": "post_office.EmailBackend"}}
    with pytest.raises(ConfigurationError, match=r"BACKENDS.*default"):
        _ = post_office_settings.backends


# --- CELERY_ENABLED ------------------------------------------------------------------------------

@pytest.fixture
def eager_celery():
    from celery import current_app

    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = previous


@pytest.mark.django_db(transaction=True)  # on_commit needs a real commit
def test_celery_enabled_delivers_once_the_queuing_transaction_commits(configure, smtp_backend, eager_celery):
    from django.db import transaction

    configure(CELERY_ENABLED=True)
    with transaction.atomic():
        mail.send("a@example.com", "f@example.com", subject="celery", message="M")
        assert smtp_backend.messages == []  # the task waits for the commit
    assert subjects(smtp_backend) == ["celery"]
    assert Email.objects.get().status == STATUS.sent


def test_celery_disabled_leaves_the_email_queued(configure, smtp_backend, eager_celery):
    mail.send("a@example.com", "f@example.com", subject="S", message="M")
    assert smtp_backend.messages == []
    assert Email.objects.get().status == STATUS.queued


@pytest.mark.django_db(transaction=True)
def test_celery_enabled_hook_is_not_fired_by_a_rolled_back_transaction(configure, smtp_backend, eager_celery):
    from django.db import transaction

    configure(CELERY_ENABLED=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send("a@example.com", "f@example.com", subject="S", message="M")
        raise RuntimeError("request failed")
    assert smtp_backend.messages == [] and Email.objects.count() == 0


# --- CONTEXT_FIELD_CLASS -------------------------------------------------------------------------

CONTEXT_SCRIPT = textwrap.dedent("""
    import datetime, json, sys
    from decimal import Decimal
    import django
    from django.conf import settings

    field_class, db, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "post_office"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}},
        POST_OFFICE={"CONTEXT_FIELD_CLASS": field_class,
                     "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"}},
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, USE_TZ=True, DEFAULT_FROM_EMAIL="f@example.com",
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    )
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from post_office import mail
    from post_office.models import Email, EmailTemplate

    EmailTemplate.objects.create(name="ctx", subject="Total {{ total }}", content="Due {{ due }}")
    if "pickle" in field_class:
        context = {"total": Decimal("9.50"), "due": datetime.date(2030, 1, 2)}
    else:
        context = {"total": "9.50", "due": "2030-01-02"}
    mail.send("a@example.com", template="ctx", context=context, render_on_delivery=True)
    stored = Email.objects.get().context
    field = type(Email._meta.get_field("context"))
    print(json.dumps({
        "field": field.__module__ + "." + field.__name__,
        "stored": repr(stored), "result": mail.send_queued(),
    }))
""")


def run_context_app(tmp_path, field_class: str, port: int) -> dict:
    script = tmp_path / "context_app.py"
    script.write_text(CONTEXT_SCRIPT)
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, str(script), field_class, str(tmp_path / "ctx.sqlite3"), str(port)],
                          capture_output=True, text=True, timeout=60, env=env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_context_field_class_jsonfield_renders_on_delivery(tmp_path, smtp_sink):
    outcome = run_context_app(tmp_path, "jsonfield.JSONField", smtp_sink.port)
    assert outcome["field"] == "jsonfield.fields.JSONField"
    assert outcome["result"] == [1, 0, 0]
    [received] = smtp_sink.messages
    assert received.message["Subject"] == "Total 9.50"
    assert received.message.get_content().rstrip() == "Due 2030-01-02"


def test_context_field_class_picklefield_keeps_python_objects(tmp_path, smtp_sink):
    outcome = run_context_app(tmp_path, "picklefield.fields.PickledObjectField", smtp_sink.port)
    assert outcome["field"] == "picklefield.fields.PickledObjectField"
    assert "Decimal('9.50')" in outcome["stored"]
    assert outcome["result"] == [1, 0, 0]
    [received] = smtp_sink.messages
    assert received.message["Subject"] == "Total 9.50"
    assert received.message.get_content().rstrip() == "Due Jan. 2, 2030"


def test_context_field_class_default_is_djangos_jsonfield():
    from django.db.models import JSONField

    assert type(Email._meta.get_field("context")) is JSONField


# --- configuration errors and system checks ------------------------------------------------------

def post_office_checks() -> dict[str, str]:
    return {m.id: m.msg for m in checks.run_checks() if m.id and m.id.startswith("post_office.")}


def test_a_valid_configuration_passes_the_checks():
    assert post_office_checks() == {}


@pytest.mark.parametrize("key, value", [
    ("BATCH_SIZE", 0), ("BATCH_SIZE", "100"), ("THREADS_PER_PROCESS", 0), ("LOG_LEVEL", 3),
    ("DEFAULT_PRIORITY", "urgent"), ("SENDING_ORDER", "created"), ("MAX_RETRIES", -1),
    ("RETRY_INTERVAL", "15m"), ("BATCH_DELIVERY_TIMEOUT", -5), ("OVERRIDE_RECIPIENTS", 5),
    ("BACKENDS", {"ses": "django_ses.SESBackend"}),
])
def test_a_bad_setting_is_reported_as_e001_naming_the_key(settings, key, value):
    settings.POST_OFFICE = {key: value}
    found = post_office_checks()
    assert "post_office.E001" in found
    assert key in found["post_office.E001"]


def test_an_unimportable_backend_is_e002(settings):
    settings.POST_OFFICE = {"BACKENDS": {"default": "smtp.EmailBackend", "ses": "no_such_module.SESBackend"}}
    found = post_office_checks()
    assert set(found) == {"post_office.E002"}
    assert "'ses'" in found["post_office.E002"]


def test_an_unknown_template_engine_is_e003(settings):
    settings.POST_OFFICE = {"TEMPLATE_ENGINE": "jinja_missing"}
    found = post_office_checks()
    assert set(found) == {"post_office.E003"}
    assert "jinja_missing" in found["post_office.E003"]


def test_a_bad_setting_fails_send_with_the_key_named(settings):
    settings.POST_OFFICE = {"DEFAULT_PRIORITY": "urgent"}
    with pytest.raises(ConfigurationError, match="DEFAULT_PRIORITY"):
        mail.send("a@example.com", "f@example.com", subject="S")
    assert Email.objects.count() == 0


def test_test_sns_hosts_outside_debug_is_a_startup_warning(settings):
    settings.DEBUG = False
    settings.POST_OFFICE = {**settings.POST_OFFICE, "WEBHOOKS": {"SES": {"TEST_SNS_HOSTS": ["127.0.0.2:9"]}}}
    assert "post_office.W001" in {m.id for m in checks.run_checks()}
