"""The compatibility surface: django-post_office 3.12's module paths and public names import and
work (DESIGN.md, "Compatibility surface beyond the README")."""

from __future__ import annotations

import datetime
import importlib
import inspect

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.dispatch import Signal
from django.utils import timezone

from post_office.models import STATUS, Attachment, Email, EmailTemplate

pytestmark = pytest.mark.django_db

# Public names of django-post_office 3.12's modules (inspected in a scratch virtualenv).
SURFACE = {
    "post_office": ["EmailBackend"],
    "post_office.mail": ["create", "send", "send_many", "get_queued", "send_queued", "attach_templates",
                         "send_queued_mail_until_done", "logger", "WORKER_COMPLETION_GRACE_PERIOD"],
    "post_office.models": ["PRIORITY", "STATUS", "RecipientDeliveryStatus", "Email", "Log", "EmailTemplateManager",
                           "EmailTemplate", "get_upload_path", "Attachment", "logger"],
    "post_office.utils": ["send_mail", "get_email_template", "split_emails", "create_attachments", "parse_priority",
                          "parse_emails", "cleanup_expired_mails"],
    "post_office.validators": ["validate_email_with_name", "validate_comma_separated_emails",
                               "validate_template_syntax"],
    "post_office.fields": ["CommaSeparatedEmailField"],
    "post_office.signals": ["email_queued"],
    "post_office.tasks": ["send_queued_mail", "cleanup_mail", "cleanup_expired_mails", "queued_mail_handler"],
    "post_office.connections": ["ConnectionHandler", "connections"],
    "post_office.cache": ["cache_backend", "get_cache_key", "set", "get", "delete"],
    "post_office.settings": [
        "PRE_DJANGO_6", "DJANGO_HAS_MAILERS", "mailers_are_configured", "get_backend_aliases", "get_backend",
        "get_available_backends", "get_cache_backend", "get_config", "get_batch_size", "get_celery_enabled",
        "get_lock_file_name", "get_threads_per_process", "get_default_priority", "get_default_mailer",
        "get_log_level", "get_sending_order", "get_template_engine", "get_override_recipients",
        "get_max_retries", "get_retry_timedelta", "get_message_id_enabled", "get_message_id_fqdn",
        "get_batch_delivery_timeout", "get_file_storage", "CONTEXT_FIELD_CLASS", "context_field_class",
        "get_webhook_config",
    ],
    "post_office.template": ["render_to_string"],
    "post_office.template.backends.post_office": ["PostOfficeTemplates"],
    "post_office.templatetags.post_office": ["inline_image", "register"],
    "post_office.lockfile": ["FileLocked", "FileLock", "default_lockfile"],
    "post_office.sanitizer": ["tags", "attributes", "clean_html"],
    "post_office.backends": ["EmailBackend"],
    "post_office.logutils": ["setup_loghandlers"],
}


@pytest.mark.parametrize("module_name", sorted(SURFACE))
def test_module_exposes_upstream_public_names(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name in SURFACE[module_name] if not hasattr(module, name)]
    assert missing == []


def test_mail_signatures_accept_upstream_keywords():
    from post_office import mail

    send = inspect.signature(mail.send).parameters
    assert list(send) == ["recipients", "sender", "template", "context", "subject", "message", "html_message",
                          "scheduled_time", "expires_at", "headers", "priority", "attachments",
                          "render_on_delivery", "log_level", "commit", "cc", "bcc", "language", "backend"]
    create = inspect.signature(mail.create).parameters
    assert list(create) == ["sender", "recipients", "cc", "bcc", "subject", "message", "html_message", "context",
                            "scheduled_time", "expires_at", "headers", "template", "priority",
                            "render_on_delivery", "commit", "backend"]


def test_mail_create_builds_an_email(smtp_backend):
    from post_office import mail

    email = mail.create("f@example.com", ["a@example.com"], subject="Hi {{ n }}", context={"n": 2},
                        priority="high")
    assert email.pk and email.subject == "Hi 2" and email.status == STATUS.queued
    unsaved = mail.create("f@example.com", "b@example.com", subject="x", commit=False)
    assert unsaved.pk is None


def test_status_priority_and_delivery_status_values_match_upstream():
    from post_office.models import PRIORITY, RecipientDeliveryStatus

    assert {s.name: s.value for s in STATUS} == {"sent": 0, "failed": 1, "queued": 2, "requeued": 3}
    assert {p.name: p.value for p in PRIORITY} == {"low": 0, "medium": 1, "high": 2, "now": 3}
    assert {r.name: r.value for r in RecipientDeliveryStatus} == {
        "ACCEPTED": 10, "DELIVERED": 20, "OPENED": 30, "CLICKED": 40, "DEFERRED": 50, "SOFT_BOUNCED": 60,
        "UNDETERMINED_BOUNCED": 65, "HARD_BOUNCED": 70, "SPAM_COMPLAINT": 80, "UNSUBSCRIBED": 90}


def test_model_tables_and_natural_keys():
    from post_office.models import Log, get_upload_path

    assert [m._meta.db_table for m in (Email, EmailTemplate, Log, Attachment)] == [
        "post_office_email", "post_office_emailtemplate", "post_office_log", "post_office_attachment"]
    template = EmailTemplate.objects.create(name="nk", subject="s")
    assert EmailTemplate.objects.get_by_natural_key("nk", "", None) == template
    assert template.natural_key() == ("nk", "", None)
    path = get_upload_path(Attachment(), "report.pdf")
    assert path.startswith("post_office_attachments/") and path.endswith("/report.pdf")


def test_email_methods_of_upstream(smtp_backend):
    from post_office import mail

    email = mail.send("a@example.com", "f@example.com", subject="S", message="M")
    assert email.email_message().subject == "S"
    assert email.prepare_email_message().to == ["a@example.com"]
    assert email.dispatch() == STATUS.sent
    assert smtp_backend.messages[0].message["Subject"] == "S"


def test_utils_helpers(smtp_backend, settings, tmp_path):
    from post_office import utils

    settings.MEDIA_ROOT = str(tmp_path)
    emails = utils.send_mail("Subj", "Body", "f@example.com", ["a@example.com", "b@example.com"], priority="high")
    assert [e.to for e in emails] == [["a@example.com"], ["b@example.com"]]
    assert utils.split_emails([1, 2, 3, 4, 5], 2) == [[1, 3, 5], [2, 4]]
    assert utils.parse_priority("high") == 2 and utils.parse_priority(None) == 1
    assert utils.parse_emails("a@example.com") == ["a@example.com"]
    assert utils.parse_emails(["A <a@example.com>"]) == ["A <a@example.com>"]
    with pytest.raises(ValidationError):
        utils.parse_emails(["nope"])
    EmailTemplate.objects.create(name="u", subject="s")
    assert utils.get_email_template("u").name == "u"
    [attachment] = utils.create_attachments({"a.txt": ContentFile(b"a")})
    assert attachment.name == "a.txt"
    Email.objects.update(created=timezone.now() - datetime.timedelta(days=100))
    assert utils.cleanup_expired_mails(timezone.now() - datetime.timedelta(days=90)) == (2, 1)


def test_validators_and_fields():
    from post_office.fields import CommaSeparatedEmailField
    from post_office.validators import (
        validate_comma_separated_emails,
        validate_email_with_name,
        validate_template_syntax,
    )

    validate_email_with_name("Alice <alice@example.com>")
    validate_comma_separated_emails(["a@example.com", "B <b@example.com>"])
    validate_template_syntax("{% if a %}{{ a }}{% endif %}")
    for bad in (lambda: validate_email_with_name("alice"),
                lambda: validate_comma_separated_emails(["a@example.com", "x"]),
                lambda: validate_template_syntax("{% if %}")):
        with pytest.raises(ValidationError):
            bad()
    field = CommaSeparatedEmailField()
    assert field.to_python("a@example.com, b@example.com") == ["a@example.com", "b@example.com"]
    assert field.get_prep_value(["a@example.com", " b@example.com"]) == "a@example.com, b@example.com"


def test_signal_is_a_django_signal():
    from post_office.signals import email_queued

    assert isinstance(email_queued, Signal)


def test_tasks_are_registered_under_upstream_names_and_run(smtp_backend):
    from post_office import mail, tasks

    assert tasks.send_queued_mail.name == "post_office.tasks.send_queued_mail"
    assert tasks.cleanup_mail.name == "post_office.tasks.cleanup_mail"
    assert tasks.cleanup_expired_mails.name == "post_office.tasks.cleanup_expired_mails"
    mail.send("a@example.com", "f@example.com", subject="task", message="M")
    tasks.send_queued_mail()  # calling a task runs it here, as a beat schedule would on a worker
    assert [m.message["Subject"] for m in smtp_backend.messages] == ["task"]
    Email.objects.update(created=timezone.now() - datetime.timedelta(days=10))
    tasks.cleanup_mail(days=5)
    assert Email.objects.count() == 0


def test_connections_open_one_reusable_connection_per_alias(smtp_backend):
    from django.core.mail import EmailMessage

    from post_office.connections import connections

    try:
        connection = connections["default"]
        assert connections["default"] is connection
        EmailMessage("via connections", "b", "f@example.com", ["a@example.com"], connection=connection).send()
    finally:
        connections.close()
    assert smtp_backend.messages[0].message["Subject"] == "via connections"


def test_cache_module(settings):
    from post_office import cache

    assert cache.get_cache_key("welcome") == "post_office:template:welcome"
    cache.set("welcome", "value")
    assert cache.get("welcome") == "value" and cache.cache_backend.get("post_office:template:welcome") == "value"
    cache.delete("welcome")
    assert cache.get("welcome") is None
    settings.POST_OFFICE_CACHE = False
    assert cache.cache_backend is None


def test_settings_helpers_read_the_configuration(settings):
    from post_office import settings as po_settings

    settings.POST_OFFICE = {
        "BACKENDS": {"default": "smtp.EmailBackend", "other": "django.core.mail.backends.locmem.EmailBackend"},
        "BATCH_SIZE": 7, "CELERY_ENABLED": True, "THREADS_PER_PROCESS": 3, "DEFAULT_PRIORITY": "high",
        "LOG_LEVEL": 1, "SENDING_ORDER": ["created"], "OVERRIDE_RECIPIENTS": ["o@example.com"],
        "MAX_RETRIES": 4, "RETRY_INTERVAL": datetime.timedelta(minutes=5), "MESSAGE_ID_ENABLED": True,
        "MESSAGE_ID_FQDN": "example.com", "BATCH_DELIVERY_TIMEOUT": 30, "LOCK_FILE_NAME": "po",
        "TEMPLATE_ENGINE": "post_office",
    }
    assert po_settings.get_config()["BATCH_SIZE"] == 7
    assert po_settings.get_backend() == "django.core.mail.backends.smtp.EmailBackend"
    assert po_settings.get_backend("other") == "django.core.mail.backends.locmem.EmailBackend"
    assert set(po_settings.get_backend_aliases()) == {"default", "other"}
    assert set(po_settings.get_available_backends()) == {"default", "other"}
    assert po_settings.get_default_mailer() == "default"
    assert (po_settings.get_batch_size(), po_settings.get_celery_enabled(), po_settings.get_threads_per_process(),
            po_settings.get_default_priority(), po_settings.get_log_level(), po_settings.get_sending_order(),
            po_settings.get_override_recipients(), po_settings.get_max_retries(),
            po_settings.get_retry_timedelta(), po_settings.get_message_id_enabled(),
            po_settings.get_message_id_fqdn(), po_settings.get_batch_delivery_timeout(),
            po_settings.get_lock_file_name()) == (
        7, True, 3, "high", 1, ["created"], ["o@example.com"], 4, datetime.timedelta(minutes=5), True,
        "example.com", 30, "po")
    assert type(po_settings.get_template_engine()).__name__ == "PostOfficeTemplates"
    assert po_settings.get_cache_backend() is not None
    assert hasattr(po_settings.get_file_storage(), "save")
    assert po_settings.CONTEXT_FIELD_CLASS == "django.db.models.JSONField"
    assert po_settings.context_field_class.__name__ == "JSONField"
    assert po_settings.PRE_DJANGO_6 is True and po_settings.mailers_are_configured() is False
    assert po_settings.get_webhook_config("ses") == {}


def test_lockfile_shim(tmp_path):
    from post_office.lockfile import FileLock, FileLocked

    name = str(tmp_path / "po")
    with FileLock(name), pytest.raises(FileLocked):
        FileLock(name).acquire()
    with FileLock(name, timeout=0.2):
        pass


def test_sanitizer_names():
    from post_office.sanitizer import attributes, clean_html, tags

    assert "table" in tags and isinstance(attributes, dict | list | tuple | frozenset | set)
    cleaned = clean_html('<p style="color: red">hi</p><script>alert(1)</script>')
    assert "<script" not in cleaned and "hi" in cleaned


def test_email_backend_path_and_logutils():
    import logging

    import post_office
    from post_office.backends import EmailBackend
    from post_office.logutils import setup_loghandlers

    assert post_office.EmailBackend is EmailBackend
    logger = logging.getLogger("post_office")
    handlers, level = list(logger.handlers), logger.level
    try:
        assert setup_loghandlers("INFO") is logger
        assert logger.level == logging.INFO and len(logger.handlers) == len(handlers) + 1
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def test_admin_registers_the_models():
    from django.contrib import admin

    from post_office.models import Log

    for model in (Email, EmailTemplate, Log, Attachment):
        assert admin.site.is_registered(model)
