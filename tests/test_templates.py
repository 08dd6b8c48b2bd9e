"""EmailTemplate: translations, fallback, the template cache, and syntax checking."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError

from post_office import mail
from post_office.errors import InvalidEmailError, InvalidTemplateError
from post_office.models import Email, EmailTemplate
from post_office.rendering.templates import check_template_source, get_email_template
from post_office.utils import get_email_template as upstream_get_email_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def hello():
    """The spec's multilingual example."""
    template = EmailTemplate.objects.create(name="hello", subject="Hello world!", content="Hi {{ name }}")
    template.translated_templates.create(language="id", subject="Halo Dunia!", content="Hai {{ name }}")
    return template


def test_spec_example_sends_default_and_indonesian_versions(smtp_backend, hello):
    mail.send(["recipient@example.com"], "from@example.com", template=hello, context={"name": "A"})
    mail.send(["recipient@example.com"], "from@example.com", template=hello, language="id",
              context={"name": "B"})
    mail.send_queued()

    received = sorted((m.message["Subject"], m.message.get_content().rstrip()) for m in smtp_backend.messages)
    assert received == [("Halo Dunia!", "Hai B"), ("Hello world!", "Hi A")]


def test_translation_row_shares_the_default_name(hello):
    translation = hello.translated_templates.get()
    assert (translation.name, translation.language, translation.default_template) == ("hello", "id", hello)


def test_language_works_with_a_template_name(hello):
    email = mail.send("a@example.com", "f@example.com", template="hello", language="id", context={"name": "x"})
    assert email.subject == "Halo Dunia!"
    assert email.template.language == "id"


def test_missing_translation_falls_back_to_the_default_and_logs_it(hello, caplog):
    with caplog.at_level(logging.INFO, logger="post_office"):
        email = mail.send("a@example.com", "f@example.com", template="hello", language="de")
    assert email.subject == "Hello world!"
    assert email.template == hello
    [record] = [r for r in caplog.records if r.name == "post_office" and "translation" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert "'de'" in record.getMessage() and "'hello'" in record.getMessage()


def test_strict_translations_raise_naming_the_language(hello, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "STRICT_TRANSLATIONS": True}
    for template in ("hello", hello):
        with pytest.raises(InvalidEmailError) as info:
            mail.send("a@example.com", "f@example.com", template=template, language="de")
        assert info.value.field == "language"
        assert "'de'" in str(info.value)
    assert Email.objects.count() == 0


def test_language_outside_settings_languages_is_a_clear_error(hello):
    with pytest.raises(InvalidEmailError) as info:
        mail.send("a@example.com", "f@example.com", template=hello, language="xx")
    assert info.value.field == "language"
    assert "settings.LANGUAGES" in str(info.value)
    assert Email.objects.count() == 0


def test_unknown_template_name_is_an_error_naming_template():
    with pytest.raises(InvalidEmailError) as info:
        mail.send("a@example.com", "f@example.com", template="nope")
    assert info.value.field == "template"
    assert str(info.value) == "template: no EmailTemplate named 'nope'."


def test_template_lookups_are_cached_under_post_office_template_keys(hello):
    cache = caches["default"]
    get_email_template("hello")
    get_email_template("hello", "id")
    assert cache.get("post_office:template:hello").subject == "Hello world!"
    assert cache.get("post_office:template:hello:id").subject == "Halo Dunia!"


def test_a_cache_hit_does_not_touch_the_database(hello, django_assert_num_queries):
    upstream_get_email_template("hello", "id")
    with django_assert_num_queries(0):
        assert upstream_get_email_template("hello", "id").subject == "Halo Dunia!"
        assert get_email_template("hello", "id").subject == "Halo Dunia!"


def test_send_with_a_cached_template_only_writes_the_email(hello, django_assert_num_queries):
    get_email_template("hello")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        mail.send("a@example.com", "f@example.com", template="hello")
    assert not [q for q in captured if "post_office_emailtemplate" in q["sql"]]


def test_saving_a_translation_invalidates_its_cached_entry(hello):
    assert get_email_template("hello", "id").subject == "Halo Dunia!"
    translation = hello.translated_templates.get()
    translation.subject = "Halo lagi!"
    translation.save()
    assert get_email_template("hello", "id").subject == "Halo lagi!"


def test_saving_the_default_invalidates_every_language(hello):
    assert get_email_template("hello", "de").subject == "Hello world!"  # cached fallback
    assert get_email_template("hello").subject == "Hello world!"
    hello.subject = "Hello again!"
    hello.save()
    assert get_email_template("hello", "de").subject == "Hello again!"
    assert get_email_template("hello").subject == "Hello again!"


def test_creating_a_translation_replaces_a_cached_fallback(hello):
    assert get_email_template("hello", "de").subject == "Hello world!"
    hello.translated_templates.create(language="de", subject="Hallo Welt!")
    assert get_email_template("hello", "de").subject == "Hallo Welt!"


def test_deleting_a_translation_invalidates_it(hello):
    assert get_email_template("hello", "id").subject == "Halo Dunia!"
    hello.translated_templates.get().delete()
    assert get_email_template("hello", "id").subject == "Hello world!"


def test_post_office_cache_false_disables_caching(hello, settings, django_assert_num_queries):
    settings.POST_OFFICE_CACHE = False
    get_email_template("hello")
    assert caches["default"].get("post_office:template:hello") is None
    with django_assert_num_queries(1):
        get_email_template("hello")


def test_a_post_office_cache_alias_is_used_when_configured(hello, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "main"},
        "post_office": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "po"},
    }
    get_email_template("hello", "id")
    assert caches["post_office"].get("post_office:template:hello:id").subject == "Halo Dunia!"
    assert caches["default"].get("post_office:template:hello:id") is None


def test_template_syntax_error_names_its_line():
    source = "line one\n{% if x %}\nline three\n{% endfor %}\n"
    with pytest.raises(InvalidTemplateError) as info:
        check_template_source(source)
    assert str(info.value).startswith("Line 4: ")
    assert "endfor" in str(info.value)


def test_template_source_without_errors_passes_check():
    check_template_source("{% load post_office %}{% if x %}{{ x|upper }}{% endif %}")


def test_email_template_validation_reports_the_line():
    template = EmailTemplate(name="broken", subject="ok", content="a\nb\n{{ x|nosuchfilter }}")
    with pytest.raises(ValidationError) as info:
        template.full_clean()
    messages = info.value.message_dict["content"]
    assert messages and "3" in messages[0] and "nosuchfilter" in messages[0]


def test_template_with_a_syntax_error_is_refused_before_writing():
    EmailTemplate.objects.create(name="broken", subject="Hi", html_content="<p>{% if %}</p>")
    with pytest.raises(InvalidEmailError) as info:
        mail.send("a@example.com", "f@example.com", template="broken")
    assert info.value.field == "template"
    assert Email.objects.count() == 0


def test_render_on_delivery_template_with_a_syntax_error_is_refused_at_send():
    EmailTemplate.objects.create(name="broken", subject="Hi", content="x\n{% if %}")
    with pytest.raises(InvalidEmailError) as info:
        mail.send("a@example.com", "f@example.com", template="broken", render_on_delivery=True)
    assert info.value.field == "template"
    assert Email.objects.count() == 0


def test_text_parts_are_not_html_escaped_and_may_extend_a_layout(settings, tmp_path):
    import copy

    (tmp_path / "layout.txt").write_text("-- {% block body %}{% endblock %} --")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(tmp_path)]
    settings.TEMPLATES = templates
    EmailTemplate.objects.create(
        name="layout", subject="Tom & {{ who }}",
        content='{% extends "layout.txt" %}{% block body %}Hi {{ who }}{% endblock %}',
        html_content="<p>{{ who }}</p>")
    email = mail.send("a@example.com", "f@example.com", template="layout", context={"who": "Jerry's <pal>"})
    assert email.subject == "Tom & Jerry's <pal>"
    assert email.message == "-- Hi Jerry's <pal> --"
    assert email.html_message == "<p>Jerry&#x27;s &lt;pal&gt;</p>"


def test_render_on_delivery_uses_the_translation(smtp_backend, hello):
    mail.send("a@example.com", "f@example.com", template="hello", language="id", context={"name": "Budi"},
              render_on_delivery=True)
    mail.send_queued()
    [received] = smtp_backend.messages
    assert (received.message["Subject"], received.message.get_content().rstrip()) == ("Halo Dunia!", "Hai Budi")


def test_renaming_a_template_renames_its_translations_and_forgets_the_old_name(hello):
    assert get_email_template("hello", "id").subject == "Halo Dunia!"
    hello.name = "greeting"
    hello.save()
    assert get_email_template("greeting", "id").subject == "Halo Dunia!"
    with pytest.raises(InvalidTemplateError):
        get_email_template("hello", "id")
