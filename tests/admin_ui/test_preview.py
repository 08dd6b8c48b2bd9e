"""The HTML preview: sanitized, framed in a sandbox, served under a strict CSP, with inline
images through the signed endpoint and remote images only on request."""

from __future__ import annotations

import re
from email.mime.image import MIMEImage

import pytest
from django.test import Client

from post_office.models import EmailTemplate
from tests.admin_ui.conftest import admin_url
from tests.admin_ui.pngs import make_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client_for) -> Client:
    return client_for("view_email")


def test_preview_is_served_with_a_strict_csp_and_same_origin_framing(make_email, viewer):
    email = make_email(html_message="<p>Hi</p>")
    response = viewer.get(admin_url("preview", email.pk))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) if " " in part.strip() else (part.strip(), "")
                      for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "'self'"
    assert directives["style-src"] == "'unsafe-inline'"
    assert directives["frame-ancestors"] == "'self'"
    assert directives["form-action"] == "'none'"
    assert "sandbox" in directives and "script-src" not in directives
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_preview_strips_scripts_handlers_and_dangerous_urls(make_email, viewer):
    email = make_email(html_message=(
        '<script>window.__xss=1</script><img src="cid:x" onerror="alert(1)">'
        '<a href="javascript:alert(1)">click</a><svg onload="alert(1)"></svg>'
        '<div style="background:url(http://127.0.0.2:9/x)">styled</div><b>kept</b>'
    ))
    body = viewer.get(admin_url("preview", email.pk)).content.decode()
    assert "<script" not in body and "__xss" not in body
    assert "onerror" not in body and "onload" not in body and "javascript:" not in body
    assert "<svg" not in body and "127.0.0.2" not in body
    assert "<b>kept</b>" in body


def test_detail_frames_the_preview_in_a_sandbox_without_scripts_or_same_origin(make_email, viewer):
    email = make_email(html_message="<p>Hi</p>")
    page = viewer.get(admin_url("change", email.pk)).content.decode()
    [iframe] = re.findall(r"<iframe[^>]*>", page)
    assert 'sandbox=""' in iframe
    assert "allow-scripts" not in page and "allow-same-origin" not in page
    assert admin_url("preview", email.pk) in iframe


def test_cid_image_points_at_a_signed_endpoint_that_serves_the_png(email_with_inline_image, viewer):
    email = email_with_inline_image()
    body = viewer.get(admin_url("preview", email.pk)).content.decode()
    [src] = re.findall(r'<img[^>]*src="([^"]+)"', body)
    assert src.startswith(admin_url("inline_image", email.pk, 0) + "?t=")
    # The sandboxed document sends no session cookie: the token alone must be enough.
    image = Client().get(src.replace("&amp;", "&"))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image.content == make_png()
    assert "sandbox" in image["Content-Security-Policy"]


def test_remote_images_are_blocked_unless_switched_on(make_email, viewer):
    email = make_email(html_message='<img src="http://127.0.0.2:9/pixel.gif"><img src="/admin/logout/">')
    blocked = viewer.get(admin_url("preview", email.pk))
    assert "127.0.0.2" not in blocked.content.decode()
    assert "/admin/logout/" not in blocked.content.decode()
    assert "1 remote image blocked" in blocked.content.decode()
    loaded = viewer.get(admin_url("preview", email.pk), {"remote": "1"})
    assert 'src="http://127.0.0.2:9/pixel.gif"' in loaded.content.decode()
    assert "img-src 'self' http: https:" in loaded["Content-Security-Policy"]
    assert "/admin/logout/" not in loaded.content.decode()


def test_render_on_delivery_email_previews_from_template_and_context(make_email, viewer, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "TEMPLATE_ENGINE": "post_office"}
    template = EmailTemplate.objects.create(
        name="receipt", subject="Receipt {{ number }}", content="Order {{ number }}",
        html_content='{% load post_office %}<h1>Order {{ number }}</h1><img src="{% inline_image logo %}">',
    )
    email = make_email(template=template, context={"number": 42, "logo": "post_office_demo/logo.png"},
                       render_on_delivery=True)
    assert email.html_message == ""
    body = viewer.get(admin_url("preview", email.pk)).content.decode()
    assert "<h1>Order 42</h1>" in body
    [src] = re.findall(r'<img[^>]*src="([^"]+)"', body)
    image = Client().get(src.replace("&amp;", "&"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert MIMEImage(image.content)  # real image bytes
    detail = viewer.get(admin_url("change", email.pk)).content.decode()
    assert "Order 42" in detail  # the plain text tab


def test_broken_template_preview_explains_instead_of_failing(make_email, viewer):
    template = EmailTemplate.objects.create(name="ok", subject="Hi", html_content="<p>{{ name }}</p>")
    email = make_email(template=template, context={"name": "A"}, render_on_delivery=True)
    EmailTemplate.objects.filter(pk=template.pk).update(html_content="{% if %}")  # bypasses validation
    preview = viewer.get(admin_url("preview", email.pk))
    assert preview.status_code == 200
    assert "cannot be rendered" in preview.content.decode()
    assert viewer.get(admin_url("change", email.pk)).status_code == 200


def test_detail_escapes_text_and_source_of_template_rendered_emails(make_email, viewer):
    # A template engine returns SafeString; the text tab must still escape what it renders.
    template = EmailTemplate.objects.create(name="hostile", subject="Hi",
                                            content="<img src=x onerror=alert(1)>",
                                            html_content="<script>alert(2)</script>")
    email = make_email(template=template, context={}, render_on_delivery=True)
    page = viewer.get(admin_url("change", email.pk)).content.decode()
    assert "<img src=x onerror=alert(1)>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(2)</script>" not in page
