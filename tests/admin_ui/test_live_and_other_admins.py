"""The live status fragment (htmx), and the Log, Attachment and EmailTemplate admins."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from post_office import mail
from post_office.models import STATUS, Email, EmailTemplate, Log
from tests.admin_ui.conftest import admin_url

pytestmark = pytest.mark.django_db

POLL = "every 3s [document.visibilityState === 'visible']"


def test_live_fragment_polls_while_queued_and_stops_once_final(make_email, client_for):
    client = client_for("view_email")
    email = make_email()
    detail = client.get(admin_url("change", email.pk)).content.decode()
    assert f'hx-get="{admin_url("live", email.pk)}"' in detail
    assert f'hx-trigger="{POLL}"' in detail

    fragment = client.get(admin_url("live", email.pk), headers={"HX-Request": "true"}).content.decode()
    assert f'hx-trigger="{POLL}"' in fragment
    assert 'id="po-timeline" data-testid="po-timeline" hx-swap-oob="true"' in fragment
    assert "No delivery attempt yet." in fragment

    mail.send_queued()  # delivered by the locmem backend, logged as sent
    email.refresh_from_db()
    assert email.status == STATUS.sent
    fragment = client.get(admin_url("live", email.pk), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "hx-get" not in fragment
    assert 'data-final="1"' in fragment


def test_timeline_shows_attempts_newest_first_with_exception_types(make_email, client_for):
    email = make_email(status=STATUS.failed)
    Log.objects.create(email=email, status=STATUS.failed, exception_type="SMTPRecipientsRefused",
                       message="550 no such user")
    Log.objects.create(email=email, status=STATUS.requeued, message="Requeued by alice")
    html = client_for("view_email").get(admin_url("live", email.pk)).content.decode()
    assert html.index("Requeued by alice") < html.index("550 no such user")
    assert "SMTPRecipientsRefused" in html
    assert re.search(r"<span[^>]*>\s*requeued\s*</span>", html)  # a console entry's status has a label


def test_log_admin_is_read_only_and_links_to_the_email(make_email, client_for, admin_client):
    email = make_email()
    log = Log.objects.create(email=email, status=STATUS.failed, exception_type="SMTPDataError",
                             message="451 " + "x" * 300)
    listing = admin_client.get(reverse("admin:post_office_log_changelist")).content.decode()
    assert admin_url("change", email.pk) in listing and "SMTPDataError" in listing
    assert "x" * 200 not in listing  # message excerpt
    assert admin_client.get(reverse("admin:post_office_log_add")).status_code == 403
    detail = admin_client.get(reverse("admin:post_office_log_change", args=[log.pk])).content.decode()
    assert 'name="message"' not in detail  # no editable field, even for a superuser
    admin_client.post(reverse("admin:post_office_log_change", args=[log.pk]), {"message": "edited"})
    log.refresh_from_db()
    assert log.message.startswith("451 ")


def test_attachment_list_counts_emails_in_the_same_query(email_with_inline_image, admin_client):
    first = email_with_inline_image()
    shared = first.attachments.get(name="invoice.pdf")
    for _ in range(3):
        shared.emails.add(email_with_inline_image())

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(reverse("admin:post_office_attachment_changelist"))
        assert response.status_code == 200
        return len(captured)

    baseline = queries()
    html = admin_client.get(reverse("admin:post_office_attachment_changelist")).content.decode()
    assert "invoice.pdf" in html and ">4<" in html.replace(" ", "").replace("\n", "")
    email_with_inline_image()
    assert queries() == baseline


def test_template_admin_lists_defaults_and_edits_translations_inline(admin_client):
    base = EmailTemplate.objects.create(name="welcome", subject="Hi", content="Hello")
    EmailTemplate.objects.create(name="welcome", language="de", default_template=base, subject="Hallo")
    listing = admin_client.get(reverse("admin:post_office_emailtemplate_changelist"))
    assert [t.pk for t in listing.context["cl"].result_list] == [base.pk]
    detail = admin_client.get(reverse("admin:post_office_emailtemplate_change", args=[base.pk])).content.decode()
    assert "Hallo" in detail and "translated_templates-TOTAL_FORMS" in detail
    assert Email.objects.count() == 0
