"""The example project's sample data (``manage.py load_demo``) and the admin it feeds."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from demo import settings as demo_settings
from demo.management.commands.load_demo import Command as LoadDemo
from post_office.models import STATUS, Attachment, Email, EmailTemplate, Log

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_config(settings, tmp_path, monkeypatch):
    """The demo's POST_OFFICE (backend aliases, post_office template engine), delivering to locmem."""
    settings.POST_OFFICE = {**demo_settings.POST_OFFICE, "BACKENDS": {
        alias: "django.core.mail.backends.locmem.EmailBackend" for alias in demo_settings.POST_OFFICE["BACKENDS"]
    }}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-test-password")


def load_demo(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    # The demo app is not in the test settings' INSTALLED_APPS: pass the command instance.
    call_command(LoadDemo(), *args, stdout=out)
    return out.getvalue()


def test_load_demo_twice_adds_nothing_the_second_time(demo_config):
    load_demo()
    counts = (Email.objects.count(), EmailTemplate.objects.count(), Log.objects.count(), Attachment.objects.count())
    output = load_demo()
    assert (Email.objects.count(), EmailTemplate.objects.count(), Log.objects.count(),
            Attachment.objects.count()) == counts
    assert "already loaded" in output
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_load_demo_reset_recreates_the_same_amount(demo_config):
    load_demo()
    before = Email.objects.count()
    load_demo("--reset")
    assert Email.objects.count() == before
    assert not Attachment.objects.filter(emails__isnull=True).exists()


def test_demo_has_emails_in_every_status_over_thirty_days(demo_config):
    load_demo()
    by_status = dict(Email.objects.values_list("status").annotate(n=Count("pk")))
    assert set(by_status) == set(STATUS.values)
    assert sum(by_status.values()) >= 300
    assert all(count >= 5 for count in by_status.values()), by_status
    oldest = Email.objects.order_by("created").first().created
    newest = Email.objects.order_by("-created").first().created
    assert (newest - oldest).days >= 20
    assert Email.objects.filter(status=STATUS.queued, scheduled_time__gt=newest).exists()
    assert len(set(Email.objects.values_list("backend_alias", flat=True))) >= 3


def test_demo_failures_are_logged_with_smtp_codes(demo_config):
    load_demo()
    failed_logs = Log.objects.filter(status=STATUS.failed)
    assert failed_logs.filter(message__startswith="SMTP 550").exists()
    assert failed_logs.filter(message__startswith="SMTP 451").exists()
    for email in Email.objects.filter(status=STATUS.failed)[:20]:
        assert email.logs.filter(status=STATUS.failed).exists()


def test_demo_templates_come_in_at_least_three_languages(demo_config):
    load_demo()
    languages = set(EmailTemplate.objects.values_list("language", flat=True))
    assert {"", "id", "de"} <= languages
    newsletter = EmailTemplate.objects.get(name="newsletter", language="")
    assert "{% inline_image 'post_office_demo/logo.png' %}" in newsletter.html_content
    assert newsletter.translated_templates.count() >= 2


def test_demo_newsletter_delivers_its_logo_as_an_inline_image(demo_config):
    load_demo()
    email = Email.objects.filter(template__name="newsletter").first()
    message = email.email_message().message()
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert message.get_content_type() == "multipart/related"
    assert images and all(part["Content-ID"] for part in images)
    with open(demo_settings.REPO_DIR / "static/post_office_demo/logo.png", "rb") as logo:
        assert logo.read() in [part.get_payload(decode=True) for part in images]


def test_demo_attachments_keep_their_mimetype_and_headers(demo_config):
    load_demo()
    invoice = Attachment.objects.filter(name__endswith=".pdf").first()
    assert invoice.mimetype == "application/pdf"
    assert invoice.headers["X-Invoice-Number"] == invoice.name.removesuffix(".pdf")
    with invoice.file.open("rb") as content:
        assert content.read().startswith(b"%PDF-1.4")


def test_admin_index_and_email_list_load_with_demo_data(demo_config, client):
    load_demo()
    client.force_login(get_user_model().objects.get(username="admin"))
    assert client.get(reverse("admin:index")).status_code == 200
    response = client.get(reverse("admin:post_office_email_changelist"))
    assert response.status_code == 200
