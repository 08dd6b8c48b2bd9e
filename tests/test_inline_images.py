"""Inline images: ``{% inline_image %}`` -> ``multipart/related`` with ``Content-ID`` parts.

The spec's two snippets run almost verbatim, and the same templates stored as EmailTemplates
with ``TEMPLATE_ENGINE = 'post_office'``, rendered at send time and at delivery.
"""

from __future__ import annotations

import copy
import os
import re

import pytest
from django.core.files import File
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template

from post_office import mail
from post_office.errors import InvalidEmailError
from post_office.models import STATUS, Attachment, Email, EmailTemplate
from post_office.template import render_to_string

pytestmark = pytest.mark.django_db

DATA = os.path.join(os.path.dirname(__file__), "data")
LOGO = os.path.join(DATA, "static", "po_tests", "logo.png")
BANNER = os.path.join(DATA, "static", "po_tests", "banner.png")
HTML_TEMPLATE = """{% load post_office %}<p>Hello {{ name }}</p>
<img src="{% inline_image 'po_tests/logo.png' %}" alt="logo" />
<img src="{% inline_image banner %}" alt="banner" />"""


@pytest.fixture(autouse=True)
def test_templates_and_static(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    for engine in templates:
        engine["DIRS"] = [*engine.get("DIRS", []), os.path.join(DATA, "templates")]
    settings.TEMPLATES = templates
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, os.path.join(DATA, "static")]


@pytest.fixture
def post_office_engine(smtp_backend, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "TEMPLATE_ENGINE": "post_office"}
    return smtp_backend


def read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def assert_related_with_images(message, html_type_path: list[str]) -> str:
    """Check the MIME tree and that every ``cid:`` in the HTML has its image; return the HTML."""
    assert message.get_content_type() == "multipart/related"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts[1:]] == ["image/png", "image/png"]
    body = parts[0]
    assert [p.get_content_type() for p in body.walk()] == html_type_path
    html = next(p for p in body.walk() if p.get_content_type() == "text/html").get_content()
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == 2
    images = {p["Content-ID"].strip("<>"): p for p in parts[1:]}
    assert set(images) == set(cids)
    assert images[cids[0]].get_content() == read(LOGO)
    assert images[cids[1]].get_content() == read(BANNER)
    for image in images.values():
        assert image.get_content_disposition() == "inline"
        assert image["Content-Transfer-Encoding"] == "base64"
    return html


def test_spec_snippet_plain_text_and_html_with_inline_images(smtp_backend, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

    subject, body = "Hello", "Plain text body"
    from_email, to_email = "no-reply@example.com", "john@example.com"
    email_message = EmailMultiAlternatives(subject, body, from_email, [to_email])
    template = get_template("po_tests/email-template-name.html", using="post_office")
    context = {"name": "John", "banner": BANNER}
    html = template.render(context)
    email_message.attach_alternative(html, "text/html")
    template.attach_related(email_message)
    email_message.send()

    [received] = smtp_backend.messages
    html = assert_related_with_images(received.message,
                                      ["multipart/alternative", "text/plain", "text/html"])
    assert "Hello John" in html


def test_spec_snippet_html_only_with_inline_images(smtp_backend, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

    subject, from_email, to_email = "Hello", "no-reply@example.com", "john@example.com"
    template = get_template("po_tests/email-template-name.html", using="post_office")
    context = {"name": "John", "banner": BANNER}
    html = template.render(context)
    email_message = EmailMultiAlternatives(subject, html, from_email, [to_email])
    email_message.content_subtype = "html"
    template.attach_related(email_message)
    email_message.send()

    [received] = smtp_backend.messages
    assert_related_with_images(received.message, ["text/html"])


def test_spec_snippet_through_post_office_email_backend_keeps_the_images(smtp_backend, settings):
    settings.EMAIL_BACKEND = "post_office.EmailBackend"

    email_message = EmailMultiAlternatives("Hello", "Plain text body", "no-reply@example.com",
                                           ["john@example.com"])
    template = get_template("po_tests/email-template-name.html", using="post_office")
    email_message.attach_alternative(template.render({"name": "John", "banner": BANNER}), "text/html")
    template.attach_related(email_message)
    assert email_message.send() == 1

    assert smtp_backend.messages == []
    assert Attachment.objects.count() == 2
    assert mail.send_queued() == (1, 0, 0)
    [received] = smtp_backend.messages
    assert_related_with_images(received.message, ["multipart/alternative", "text/plain", "text/html"])


def test_rendering_twice_does_not_accumulate_images():
    template = get_template("po_tests/email-template-name.html", using="post_office")
    template.render({"name": "A", "banner": BANNER})
    template.render({"name": "B", "banner": BANNER})
    assert len(template.inline_images) == 2


def test_image_file_object_is_accepted():
    template = get_template("po_tests/email-template-name.html", using="post_office")
    with open(BANNER, "rb") as handle:
        template.render({"name": "A", "banner": File(handle)})
    assert template.inline_images[1].get_payload(decode=True) == read(BANNER)


def test_render_to_string_returns_html_and_images():
    html, images = render_to_string("po_tests/email-template-name.html", {"name": "A", "banner": BANNER},
                                    using="post_office")
    assert "Hello A" in html and len(images) == 2


def test_db_template_with_post_office_engine_sends_related_images(post_office_engine):
    EmailTemplate.objects.create(name="newsletter", subject="News for {{ name }}",
                                 content="Hello {{ name }}", html_content=HTML_TEMPLATE)
    email = mail.send("a@example.com", "from@example.com", template="newsletter",
                      context={"name": "Ann", "banner": BANNER})

    stored = list(email.attachments.order_by("id"))
    assert [a.mimetype for a in stored] == ["image/png", "image/png"]
    assert all(a.headers["Content-ID"].startswith("<") for a in stored)
    assert mail.send_queued() == (1, 0, 0)
    [received] = post_office_engine.messages
    assert received.message["Subject"] == "News for Ann"
    html = assert_related_with_images(received.message, ["multipart/alternative", "text/plain", "text/html"])
    assert "Hello Ann" in html


def test_db_template_with_images_rendered_on_delivery(post_office_engine):
    EmailTemplate.objects.create(name="lazy_news", subject="News", html_content=HTML_TEMPLATE)
    email = mail.send("a@example.com", "from@example.com", template="lazy_news",
                      context={"name": "Ann", "banner": BANNER}, render_on_delivery=True)

    assert email.attachments.count() == 0 and email.html_message == ""
    assert mail.send_queued() == (1, 0, 0)
    [received] = post_office_engine.messages
    assert_related_with_images(received.message, ["text/html"])
    assert Email.objects.get().status == STATUS.sent


def test_db_template_with_images_and_priority_now(post_office_engine):
    EmailTemplate.objects.create(name="now_news", subject="News", content="text", html_content=HTML_TEMPLATE)
    email = mail.send("a@example.com", "from@example.com", template="now_news",
                      context={"name": "Ann", "banner": BANNER}, priority="now")
    assert email.status == STATUS.sent
    [received] = post_office_engine.messages
    assert_related_with_images(received.message, ["multipart/alternative", "text/plain", "text/html"])


def test_inline_images_next_to_a_regular_attachment_keep_their_cid(post_office_engine):
    from django.core.files.base import ContentFile

    EmailTemplate.objects.create(name="with_pdf", subject="S", content="t", html_content=HTML_TEMPLATE)
    mail.send("a@example.com", "from@example.com", template="with_pdf", context={"name": "A", "banner": BANNER},
              attachments={"terms.pdf": ContentFile(b"%PDF-1.4 fake")}, priority="now")

    [received] = post_office_engine.messages
    message = received.message
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert {p["Content-ID"].strip("<>") for p in images} == set(re.findall(r'src="cid:([^"]+)"', html))
    # The images sit with the HTML in multipart/related; the PDF is a sibling in multipart/mixed.
    assert message.get_content_type() == "multipart/mixed"
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    assert {p.get_content_type() for p in related.iter_parts()} >= {"image/png"}
    pdf = next(p for p in message.walk() if p.get_filename() == "terms.pdf")
    assert pdf.get_content_disposition() == "attachment"


def test_inline_image_of_a_missing_static_file_is_refused_before_writing(post_office_engine):
    EmailTemplate.objects.create(name="bad_image", subject="S",
                                 html_content="{% load post_office %}<img src=\"{% inline_image 'nope.png' %}\">")
    with pytest.raises(InvalidEmailError) as info:
        mail.send("a@example.com", "from@example.com", template="bad_image")
    assert info.value.field == "template"
    assert "nope.png" in str(info.value)
    assert Email.objects.count() == 0 and Attachment.objects.count() == 0


def test_inline_image_with_the_django_engine_explains_the_setting(smtp_backend):
    html = "{% load post_office %}<img src=\"{% inline_image 'po_tests/logo.png' %}\">"
    EmailTemplate.objects.create(name="wrong_engine", subject="S", html_content=html)
    with pytest.raises(InvalidEmailError) as info:
        mail.send("a@example.com", "from@example.com", template="wrong_engine")
    assert "TEMPLATE_ENGINE" in str(info.value)
