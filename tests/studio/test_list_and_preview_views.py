"""The template list, and the preview endpoints the editor's htmx panel calls."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office.admin_ui.access import EMAIL, STUDIO, image_token
from post_office.models import STATUS, Email, EmailTemplate
from post_office.preview import preview_csp

from .conftest import LOGO
from .helpers import change_url, studio_url

LIST_URL = "/admin/post_office/emailtemplate/"


def make_family(name: str, languages: tuple[str, ...] = ()) -> EmailTemplate:
    default = EmailTemplate.objects.create(name=name, subject=f"{name} {{{{ x }}}}")
    for code in languages:
        EmailTemplate.objects.create(name=name, language=code, default_template=default, subject="s")
    return default


def email_with(template: EmailTemplate, status: int, age_days: int = 1) -> None:
    email = Email.objects.create(from_email="a@example.com", to=["b@example.com"], template=template, status=status)
    Email.objects.filter(pk=email.pk).update(created=timezone.now() - timedelta(days=age_days))


def sent_column(response, name: str) -> int:
    for row in response.context["cl"].result_list:
        if row.name == name:
            return row.sent_30d
    raise AssertionError(name)


def test_list_counts_sent_emails_of_the_last_30_days_across_translations(admin_client, family):
    translation = EmailTemplate.objects.get(language="id")
    email_with(family, STATUS.sent)
    email_with(translation, STATUS.sent)
    email_with(translation, STATUS.sent, age_days=40)
    email_with(family, STATUS.failed)
    make_family("quiet")
    response = admin_client.get(LIST_URL)
    assert sent_column(response, "welcome") == 2
    assert sent_column(response, "quiet") == 0
    assert [row.name for row in response.context["cl"].result_list] == ["quiet", "welcome"]  # no translations


def test_list_queries_do_not_grow_with_the_number_of_templates(admin_client, db):
    make_family("a", ("id",))
    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST_URL)
    for index in range(8):
        make_family(f"t{index}", ("id", "de"))
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(LIST_URL).status_code == 200
    assert len(many) == len(few)


def test_list_shows_present_and_missing_languages(admin_client, family):
    html = admin_client.get(LIST_URL).content.decode()
    assert 'title="Indonesian"' in html
    assert 'title="German missing: the default is sent"' in html
    assert 'title="English missing: the default is sent"' in html


def preview(client, template, **data):
    return client.post(studio_url(template, "studio/preview/"), data, HTTP_HX_REQUEST="true")


def frame_url(html: str) -> str:
    return unescape(re.search(r'<iframe[^>]*src="([^"]+)"', html).group(1))


def test_switching_language_returns_that_language_as_an_htmx_partial(admin_client, family):
    response = preview(admin_client, family, language="id", sample_context='{"name": "Zed", "code": "Q"}')
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-language="id"' in html and "Halo Zed" in html and "kode Anda Q." in html
    assert "<b>Zed</b>" in admin_client.get(frame_url(html)).content.decode()


def test_preview_frame_is_a_bare_sandbox_served_like_the_email_preview(admin_client, family):
    html = preview(admin_client, family).content.decode()
    [iframe] = re.findall(r"<iframe[^>]*>", html)
    assert 'sandbox=""' in iframe
    assert "allow-scripts" not in html and "allow-same-origin" not in html
    document = admin_client.get(frame_url(html))
    assert document["Content-Security-Policy"] == preview_csp()  # the email console's policy, as is
    assert document["Content-Security-Policy"].endswith("; sandbox")
    assert document["X-Frame-Options"] == "SAMEORIGIN"
    assert document["X-Content-Type-Options"] == "nosniff"


def test_inline_image_url_is_signed_for_the_viewer_and_needs_no_session(admin_client, client, make_user,
                                                                         post_office_engine, db):
    template = EmailTemplate.objects.create(
        name="logo", html_content='{% load post_office %}<img alt="logo" src="{% inline_image logo %}">')
    html = preview(admin_client, template, sample_context=f'{{"logo": "{LOGO}"}}').content.decode()
    frame = frame_url(html)
    document = admin_client.get(frame).content.decode()
    image_url = unescape(re.search(r'<img alt="logo" src="([^"]+)"', document).group(1))
    assert "?t=" in image_url

    # The sandboxed document sends no session cookie: the signed token alone must be enough.
    image = Client().get(image_url)
    assert image.status_code == 200
    with open(finders.find(LOGO), "rb") as handle:
        assert image.content == handle.read()
    assert image["Content-Type"] == "image/png"
    assert image["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "sandbox" in image["Content-Security-Policy"]

    path, token = image_url.split("?t=")
    assert Client().get(path, {"t": token[:-2] + "xx"}).status_code == 403  # tampered
    assert Client().get(path).status_code == 302  # no token, no session: the login page
    other = make_user("other", "view_emailtemplate")
    client.force_login(other)
    assert client.get(path).status_code == 404  # the cached preview is its viewer's only
    assert client.get(frame).status_code == 404
    # A token names one preview: it opens no other, nor an email (another scope).
    preview_token = path.split("/studio/preview/")[1].split("/")[0]
    forged = image_token(STUDIO, "another-preview", other.pk)
    assert Client().get(path, {"t": forged}).status_code == 403
    assert Client().get(path, {"t": image_token(EMAIL, preview_token, other.pk)}).status_code == 403


def test_image_token_stops_working_when_its_user_loses_the_permission(admin_client, make_user,
                                                                      post_office_engine, db):
    template = EmailTemplate.objects.create(
        name="logo", html_content='{% load post_office %}<img alt="logo" src="{% inline_image logo %}">')
    viewer = make_user("viewer", "view_emailtemplate")
    admin_client.force_login(viewer)
    html = preview(admin_client, template, sample_context=f'{{"logo": "{LOGO}"}}').content.decode()
    document = admin_client.get(frame_url(html)).content.decode()
    image_url = unescape(re.search(r'<img alt="logo" src="([^"]+)"', document).group(1))
    assert Client().get(image_url).status_code == 200
    viewer.user_permissions.clear()
    assert Client().get(image_url).status_code == 403


def test_render_error_is_shown_with_its_line_not_a_500(admin_client, db):
    template = EmailTemplate.objects.create(name="b", html_content="<p>a</p>\n\n<p>{% include 'nope.html' %}</p>")
    response = preview(admin_client, template)
    assert response.status_code == 200
    assert "html_content, line 3:" in response.content.decode() and "nope.html" in response.content.decode()


def test_malformed_json_context_in_the_preview_is_a_message_not_a_500(admin_client, family):
    response = preview(admin_client, family, sample_context="{oops")
    assert response.status_code == 200
    assert "Sample context: Malformed JSON at line 1, column 2" in response.content.decode()


def test_unknown_language_in_the_preview_is_a_message(admin_client, family):
    response = preview(admin_client, family, language="xx")
    assert "xx is not one of settings.LANGUAGES" in response.content.decode()


def test_change_page_carries_the_htmx_preview_panel(admin_client, family):
    html = admin_client.get(change_url(family)).content.decode()
    assert f'hx-post="{studio_url(family, "studio/preview/")}"' in html
    assert 'hx-vals=\'{"language": "id"}\'' in html
    assert 'id="id_sample_context"' in html


def test_rendered_subject_text_and_problem_show_as_text_not_markup(admin_client, db):
    # The template engine returns SafeString; the preview partial must escape it all the same.
    hostile = "<script>window.__xss=1</script><img src=x onerror=alert(1)>"
    template = EmailTemplate.objects.create(name="hostile", subject=hostile, content=hostile, html_content=hostile)
    html = preview(admin_client, template).content.decode()
    assert "<script>" not in html and "<img src=x" not in html
    subject = re.search(r'class="po-preview-subject[^"]*">([^<]*)</dd>', html).group(1)
    text = re.search(r'class="po-preview-text[^"]*">([^<]*)</pre>', html).group(1)
    assert unescape(subject) == unescape(text) == hostile

    broken = EmailTemplate.objects.create(name="broken", html_content="<p>{% include '<script>x</script>' %}</p>")
    html = preview(admin_client, broken).content.decode()
    assert "cannot be rendered" in html and "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
