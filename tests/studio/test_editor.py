"""The editor: translations as tabs, validation at the field and line, warnings, versions."""

from __future__ import annotations

from django.contrib.messages import get_messages

from post_office.models import EmailTemplate, EmailTemplateVersion

from .helpers import change_url, form_data, inline_prefix

NEW = "translation"


def test_open_if_in_a_translation_is_refused_with_its_line_at_the_field(admin_client, family):
    page = admin_client.get(change_url(family))
    data = form_data(page)
    prefix = inline_prefix(page, "Indonesian (id)")
    data[f"{prefix}-0-html_content"] = "<p>Halo</p>\n{% if vip %}\n<p>VIP</p>"

    response = admin_client.post(change_url(family), data)

    assert response.status_code == 200  # the form again, not a redirect
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    [error] = formset.forms[0].errors["html_content"]
    assert error.startswith("Line 2:") and "endif" in error
    assert EmailTemplate.objects.get(language="id").html_content.startswith("<p>Hai")


def test_syntax_error_in_the_default_subject_is_reported_at_the_field(admin_client, family):
    page = admin_client.get(change_url(family))
    data = {**form_data(page), "subject": "Hello {{ name|nosuchfilter }}"}
    response = admin_client.post(change_url(family), data)
    assert "nosuchfilter" in response.context["adminform"].form.errors["subject"][0]


def test_adding_a_translation_offers_only_missing_languages(admin_client, family):
    page = admin_client.get(change_url(family))
    new = next(i.formset for i in page.context["inline_admin_formsets"] if str(i.opts.verbose_name) == NEW)
    choices = [code for code, _label in new.forms[0].fields["language"].choices]
    assert choices == ["", "en", "de"]


def test_a_language_added_twice_is_refused(admin_client, family):
    page = admin_client.get(change_url(family))
    data = form_data(page)
    prefix = inline_prefix(page, NEW)
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    for index in (0, 1):
        data[f"{prefix}-{index}-language"] = "de"
        data[f"{prefix}-{index}-subject"] = "Hallo {{ name }}"
    response = admin_client.post(change_url(family), data)
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    assert formset.forms[1].errors["language"] == ["German (de) is already present."]
    assert not EmailTemplate.objects.filter(language="de").exists()


def test_new_translation_and_variable_drift_save_with_a_warning(admin_client, family):
    page = admin_client.get(change_url(family))
    data = form_data(page)
    prefix = inline_prefix(page, NEW)
    data.update({f"{prefix}-0-language": "de", f"{prefix}-0-subject": "Hallo {{ name }}",
                 f"{prefix}-0-content": "Ihr Gutschein: {{ coupon }}"})
    response = admin_client.post(change_url(family), data)

    assert response.status_code == 302
    german = EmailTemplate.objects.get(language="de")
    assert german.default_template == family and german.name == "welcome"
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert "German (de): uses {{ coupon }}, which the default template does not use." in warnings
    assert any(w.startswith("German (de): does not use {{ code }}") for w in warnings)


def test_malformed_sample_context_is_refused_with_line_and_column(admin_client, family):
    page = admin_client.get(change_url(family))
    data = {**form_data(page), "sample_context": '{\n  "name": "Ada",\n  "code":\n}'}
    response = admin_client.post(change_url(family), data)
    [error] = response.context["adminform"].form.errors["sample_context"]
    assert error.startswith("Malformed JSON at line 4, column 1")
    assert b"Malformed JSON at line 4" in response.content  # shown beside the preview


def test_each_save_keeps_a_version_with_who_and_the_state_before(admin_client, family):
    page = admin_client.get(change_url(family))
    data = {**form_data(page), "subject": "Welcome {{ name }}", "sample_context": '{"name": "Bo", "code": "Z"}'}
    assert admin_client.post(change_url(family), data).status_code == 302

    baseline, edited = EmailTemplateVersion.objects.filter(template_name="welcome").order_by("number")
    assert baseline.created_by is None and baseline.snapshot["languages"][""]["subject"] == "Hello {{ name }}"
    assert edited.created_by.username == "boss"
    assert edited.snapshot["languages"][""]["subject"] == "Welcome {{ name }}"
    assert edited.snapshot["languages"]["id"]["subject"] == "Halo {{ name }}"
    assert edited.snapshot["sample_context"] == {"name": "Bo", "code": "Z"}


def test_a_second_default_with_the_same_name_is_refused(admin_client, family):
    page = admin_client.get("/admin/post_office/emailtemplate/add/")
    data = {**form_data(page), "name": "welcome", "subject": "x"}
    response = admin_client.post("/admin/post_office/emailtemplate/add/", data)
    assert response.context["adminform"].form.errors["name"] == ["Another template is already named welcome."]


def test_renaming_carries_translations_and_history_along(admin_client, family):
    page = admin_client.get(change_url(family))
    assert admin_client.post(change_url(family), {**form_data(page), "name": "hello"}).status_code == 302
    assert set(EmailTemplate.objects.values_list("name", flat=True)) == {"hello"}
    assert set(EmailTemplateVersion.objects.values_list("template_name", flat=True)) == {"hello"}


def test_the_size_check_reads_the_limit_whatever_the_number_format(admin_client, family, settings):
    # A localized "2,621,440" would read as no number at all in the browser, and stop every save.
    settings.USE_THOUSAND_SEPARATOR = True
    body = admin_client.get(change_url(family)).content.decode()
    assert 'data-limit="2621440"' in body
    assert 'src="/static/post_office/studio/size_guard.js"' in body


def test_without_an_upload_limit_the_editor_has_no_size_check(admin_client, family, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    response = admin_client.get(change_url(family))
    assert response.status_code == 200
    assert b"data-po-size-guard" not in response.content and b"po-size-alert" not in response.content
