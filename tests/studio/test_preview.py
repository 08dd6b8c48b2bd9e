"""Previews come out of the delivery renderer: the same bytes a recipient gets, made safe to show."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders

from post_office.models import STATUS, EmailTemplate
from post_office.templates_service.preview import render_template_preview
from post_office.templates_service.testsend import send_test

from .conftest import LOGO


def image_url(index: int) -> str:
    return f"/img/{index}/"


def html_part(message):
    return next(part for part in message.walk() if part.get_content_type() == "text/html")


def test_preview_is_byte_identical_to_the_delivered_message(family, smtp_backend):
    context = {"name": "Ada & <Bob> Łukasz", "code": "Ω-1"}
    preview = render_template_preview(family, "id", context, image_url)
    email = send_test(family, ["qa@example.com"], language="id", context=context)

    assert email.status == STATUS.sent
    [received] = smtp_backend.messages
    delivered = received.message
    assert html_part(delivered).get_payload(decode=True) == preview.html.encode("utf-8")
    assert delivered["Subject"] == preview.subject == "Halo Ada & <Bob> Łukasz"
    text = next(p for p in delivered.walk() if p.get_content_type() == "text/plain")
    assert text.get_payload(decode=True).decode() == preview.text
    assert "Ada &amp; &lt;Bob&gt;" in preview.html  # HTML is autoescaped, as delivered


def test_missing_translation_previews_the_default_like_delivery_does(family):
    preview = render_template_preview(family, "de", {"name": "Ada", "code": "1"}, image_url)
    assert preview.rendered_language == ""
    assert preview.subject == "Hello Ada"


def test_inline_image_is_served_by_url_and_matches_the_delivered_part(db, post_office_engine, smtp_backend):
    template = EmailTemplate.objects.create(
        name="logo", subject="Logo",
        html_content='{% load post_office %}<p>Hi {{ name }}</p><img src="{% inline_image logo %}">')
    context = {"name": "Ada", "logo": LOGO}
    preview = render_template_preview(template, "", context, image_url)
    with open(finders.find(LOGO), "rb") as handle:
        logo = handle.read()

    [image] = preview.images
    assert image.data == logo and image.content_type == "image/png"
    assert 'src="/img/0/"' in preview.document and "cid:" not in preview.document

    send_test(template, ["qa@example.com"], context=context)
    delivered = smtp_backend.messages[0].message
    delivered_image = next(p for p in delivered.walk() if p.get_content_type() == "image/png")
    assert delivered_image.get_payload(decode=True) == logo
    # Content-IDs are random per render; everything else is the same bytes.
    cid = re.compile(r"cid:[0-9a-f]+@post_office")
    delivered_html = html_part(delivered).get_payload(decode=True).decode()
    assert cid.sub("cid:X", delivered_html) == cid.sub("cid:X", preview.html)
    assert delivered_image["Content-ID"].strip("<>") in delivered_html


def test_render_error_is_reported_with_field_and_line_instead_of_raising(db):
    template = EmailTemplate.objects.create(
        name="broken", subject="Hi", html_content="<p>ok</p>\n<p>{% include 'does-not-exist.html' %}</p>")
    preview = render_template_preview(template, "", {}, image_url)
    assert preview.problem is not None
    assert (preview.problem.field, preview.problem.line) == ("html_content", 2)
    assert "does-not-exist.html" in str(preview.problem)
    assert "does-not-exist.html" in preview.document


def test_script_in_template_html_is_removed_from_the_preview_document(db):
    template = EmailTemplate.objects.create(
        name="xss", html_content='<p onclick="alert(1)">Hi</p><script>alert(2)</script><img src="https://127.0.0.2/px.gif">')
    preview = render_template_preview(template, "", {}, image_url)
    assert "<script" not in preview.document and "onclick" not in preview.document
    assert "127.0.0.2" not in preview.document and preview.blocked_remote_images == 1
    assert "<script>alert(2)</script>" in preview.html  # the delivered HTML itself is untouched
