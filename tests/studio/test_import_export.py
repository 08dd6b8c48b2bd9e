"""Import/export through the console: round trips in JSON, YAML and CSV; all-or-nothing imports."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from post_office.admin_ui.studio.resources import EmailTemplateResource
from post_office.models import EmailTemplate, EmailTemplateVersion

LIST = "/admin/post_office/emailtemplate/"
FORMATS = {"json": "0", "yaml": "1", "csv": "2"}
COLUMNS = ("name", "language", "description", "subject", "content", "html_content", "sample_context")


def family_state() -> dict:
    return {
        (t.name, t.language): (t.description, t.subject, t.content, t.html_content, t.sample_context,
                               t.default_template.name if t.default_template else None)
        for t in EmailTemplate.objects.select_related("default_template")
    }


def export(client, fmt: str) -> bytes:
    response = client.post(LIST + "export/", {"format": FORMATS[fmt], "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    return response.content


def dry_run(client, content: bytes, fmt: str):
    upload = SimpleUploadedFile(f"templates.{fmt}", content)
    return client.post(LIST + "import/", {"format": FORMATS[fmt], "resource": "0", "import_file": upload})


def confirm(client, response):
    form = response.context["confirm_form"]
    return client.post(LIST + "process_import/", {field.html_name: field.value() for field in form})


def rows_json(*rows: dict) -> bytes:
    return json.dumps([{column: row.get(column, "") for column in COLUMNS} for row in rows]).encode()


@pytest.mark.parametrize("fmt", ["json", "yaml", "csv"])
def test_export_delete_import_round_trips_a_template_with_its_translations(admin_client, family, fmt):
    before = family_state()
    content = export(admin_client, fmt)
    family.delete()
    assert not EmailTemplate.objects.exists()

    preview = dry_run(admin_client, content, fmt)
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert [row.import_type for row in preview.context["result"].rows] == ["new", "new"]
    assert not EmailTemplate.objects.exists()  # the dry run wrote nothing

    assert confirm(admin_client, preview).status_code == 302
    assert family_state() == before
    assert EmailTemplateVersion.objects.get(template_name="welcome", comment="Imported")


def test_reimporting_an_unchanged_export_skips_every_row(admin_client, family):
    preview = dry_run(admin_client, export(admin_client, "json"), "json")
    assert [row.import_type for row in preview.context["result"].rows] == ["skip", "skip"]


def test_dry_run_shows_the_changes_before_applying(admin_client, family):
    content = rows_json({"name": "welcome", "subject": "Changed {{ name }}", "content": family.content,
                         "html_content": family.html_content, "description": family.description,
                         "sample_context": json.dumps(family.sample_context)})
    preview = dry_run(admin_client, content, "json")
    [row] = preview.context["result"].rows
    assert row.import_type == "update" and "Changed" in str(row.diff)
    family.refresh_from_db()
    assert family.subject == "Hello {{ name }}"


def assert_rejected(response, *fragments: str) -> None:
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None  # no way to apply it
    html = response.content.decode()
    for fragment in fragments:
        assert fragment in html, fragment


def test_a_broken_row_rejects_the_whole_file(admin_client, db):
    content = rows_json({"name": "good", "subject": "Hi"}, {"name": "bad", "html_content": "<p>\n{% if x %}</p>"})
    assert_rejected(dry_run(admin_client, content, "json"), "Line 2:", "endif")
    assert not EmailTemplate.objects.exists()


def test_an_unknown_language_is_rejected(admin_client, db):
    content = rows_json({"name": "a", "subject": "Hi"}, {"name": "a", "language": "xx", "subject": "Yo"})
    assert_rejected(dry_run(admin_client, content, "json"), "xx is not one of settings.LANGUAGES (en, id, de).")
    assert not EmailTemplate.objects.exists()


def test_a_translation_without_its_default_is_rejected(admin_client, db):
    content = rows_json({"name": "orphan", "language": "id", "subject": "Halo"})
    assert_rejected(dry_run(admin_client, content, "json"), "No default template named orphan")


def test_a_malformed_json_sample_context_is_rejected(admin_client, db):
    content = rows_json({"name": "a", "subject": "Hi", "sample_context": '{"name": '})
    assert_rejected(dry_run(admin_client, content, "json"), "Malformed JSON at line 1, column 10")
    assert not EmailTemplate.objects.exists()


def test_a_ten_megabyte_body_is_rejected_without_echoing_it(admin_client, db):
    huge = "<p>" + "x" * (10 * 1024 * 1024) + "</p>"
    content = rows_json({"name": "ok", "subject": "Hi"}, {"name": "huge", "html_content": huge})
    response = dry_run(admin_client, content, "json")
    assert_rejected(response, "Too long: 10,485,767 characters, at most 1,000,000 are allowed.")
    assert len(response.content) < 200_000
    assert not EmailTemplate.objects.exists()


def test_a_file_that_is_not_json_gets_a_form_error(admin_client, db):
    response = dry_run(admin_client, b"{not json", "json")
    assert response.status_code == 200
    assert response.context["form"].errors["import_file"]
    assert not EmailTemplate.objects.exists()


def test_applying_with_a_failing_row_rolls_back_the_rows_before_it(admin_client, family, rf):
    """The confirm step (no dry run) is all-or-nothing too, with the kwargs the admin passes."""
    from django.contrib import admin

    model_admin = admin.site._registry[EmailTemplate]
    kwargs = model_admin.get_import_data_kwargs(request=rf.get("/"))
    dataset = EmailTemplateResource().export(EmailTemplate.objects.filter(pk=family.pk))
    dataset.append(["new-one", "", "", "Fresh", "", "", ""])
    dataset.append(["broken", "", "", "{% if %}", "", "", ""])
    result = EmailTemplateResource().import_data(dataset, dry_run=False, **kwargs)
    assert result.has_validation_errors()
    assert not EmailTemplate.objects.filter(name__in=["new-one", "broken"]).exists()
