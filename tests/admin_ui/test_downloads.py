"""The .eml download is the message the dispatcher would send; attachments download as files."""

from __future__ import annotations

import email as email_lib
from email import policy

import pytest

from tests.admin_ui.conftest import admin_url
from tests.admin_ui.pngs import make_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client_for):
    return client_for("view_email")


def test_eml_download_is_the_built_message_with_its_parts(email_with_inline_image, viewer):
    email = email_with_inline_image(subject="Receipt", message="Plain body", headers={"X-Order": "9"})
    response = viewer.get(admin_url("eml", email.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="email-{email.pk}.eml"'
    parsed = email_lib.message_from_bytes(b"".join(response.streaming_content) if response.streaming
                                          else response.content, policy=policy.default)
    assert parsed["Subject"] == "Receipt"
    assert parsed["To"] == "alice@example.com"
    assert parsed["X-Order"] == "9"
    assert parsed.get_body(("plain",)).get_content().strip() == "Plain body"
    logo = next(part for part in parsed.walk() if part.get_filename() == "logo.png")
    assert logo["Content-ID"] == "<logo@shop>" and logo.get_content() == make_png()


def test_attachment_downloads_as_a_file_never_inline(email_with_inline_image, viewer):
    email = email_with_inline_image()
    attachment = email.attachments.get(name="invoice.pdf")
    response = viewer.get(admin_url("attachment", email.pk, attachment.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 invoice"


def test_attachment_of_another_email_is_not_served(email_with_inline_image, viewer):
    first, second = email_with_inline_image(), email_with_inline_image()
    foreign = second.attachments.get(name="invoice.pdf")
    assert viewer.get(admin_url("attachment", first.pk, foreign.pk)).status_code == 404


def test_missing_attachment_file_shows_a_message_not_a_500(email_with_inline_image, viewer):
    email = email_with_inline_image()
    attachment = email.attachments.get(name="invoice.pdf")
    attachment.file.delete(save=False)
    response = viewer.get(admin_url("attachment", email.pk, attachment.pk))
    assert response.status_code == 302
    assert viewer.get(admin_url("change", email.pk)).status_code == 200
    assert viewer.get(admin_url("eml", email.pk)).status_code == 302
