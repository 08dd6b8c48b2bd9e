"""The template list, and the preview endpoints the editor's htmx panel calls."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office.models import STATUS, Email, EmailTemplate

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


def test_switching_language_returns_that_language_as_an_htmx_partial(admin_client, family):
    response = preview(admin_client, family, language="id", sample_context='{"name": "Zed", "code": "Q"}')
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-language="id"' in html and "Halo Zed" in html and "kode Anda Q." in html
    frame = re.search(r'<iframe[^>]*sandbox="allow-same-origin"[^>]*src="([^"]+)"', html).group(1)

    document = admin_client.get(frame)
    assert document["Content-Security-Policy"].startswith("default-src 'none'")
    assert document["Content-Security-Policy"].endswith("; sandbox allow-same-origin")
    assert "script-src" not in document["Content-Security-Policy"]
    assert document["X-Frame-Options"] == "SAMEORIGIN"
    assert "<b>Zed</b>" in document.content.decode()


def test_inline_image_of_the_preview_is_served_to_its_viewer_only(admin_client, client, make_user,
                                                                  post_office_engine, db):
    template = EmailTemplate.objects.create(
        name="logo", html_content='{% load post_office %}<img alt="logo" src="{% inline_image logo %}">')
    html = preview(admin_client, template, sample_context=f'{{"logo": "{LOGO}"}}').content.decode()
    frame = re.search(r'src="([^"]+)"', html[html.index("<iframe"):]).group(1)
    document = admin_client.get(frame).content.decode()
    image_url = re.search(r'<img alt="logo" src="([^"]+)"', document).group(1)

    image = admin_client.get(image_url)
    with open(finders.find(LOGO), "rb") as handle:
        assert image.content == handle.read()
    assert image["Content-Type"] == "image/png"

    client.force_login(make_user("other", "view_emailtemplate"))
    assert client.get(image_url).status_code == 404  # a token is its viewer's only
    assert client.get(frame).status_code == 404


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
