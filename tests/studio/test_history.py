"""History in the console: versions listed, a diff between two, restore as a new version."""

from __future__ import annotations

from post_office.models import EmailTemplate, EmailTemplateVersion
from post_office.templates_service.history import diff_versions, record_version, restore_version

from .helpers import change_url, form_data, inline_prefix, studio_url


def edit(client, template, **changes) -> None:
    page = client.get(change_url(template))
    data = form_data(page)
    for key, value in changes.items():
        if key.startswith("id_"):
            data[f"{inline_prefix(page, 'Indonesian (id)')}-0-{key[3:]}"] = value
        else:
            data[key] = value
    assert client.post(change_url(template), data).status_code == 302


def test_diff_between_versions_shows_changed_lines_per_language(admin_client, family):
    edit(admin_client, family, subject="Welcome {{ name }}", id_content="Hai {{ name }}!\nKode: {{ code }}")
    response = admin_client.get(studio_url(family, "history/") + "?from=1&to=2")
    html = response.content.decode()
    assert "-Hello {{ name }}" in html and "+Welcome {{ name }}" in html
    assert "Indonesian (id) · content" in html and "+Kode: {{ code }}" in html
    assert "Indonesian (id) · subject" not in html  # unchanged fields are left out


def test_restore_brings_back_an_old_version_as_a_new_version(admin_client, family):
    edit(admin_client, family, subject="Second {{ name }}")
    edit(admin_client, family, subject="Third {{ name }}", id_subject="Ketiga {{ name }}")
    response = admin_client.post(studio_url(family, "studio/restore/1/"))

    assert response.status_code == 302
    family.refresh_from_db()
    assert family.subject == "Hello {{ name }}"
    assert EmailTemplate.objects.get(language="id").subject == "Halo {{ name }}"
    latest = EmailTemplateVersion.objects.filter(template_name="welcome").order_by("-number").first()
    assert (latest.number, latest.comment, latest.created_by.username) == (4, "Restored version 1", "boss")
    assert latest.snapshot == EmailTemplateVersion.objects.get(template_name="welcome", number=1).snapshot


def test_restore_removes_a_translation_the_version_did_not_have(family, make_user):
    first = record_version(family, None, "two languages")
    EmailTemplate.objects.create(name="welcome", language="de", default_template=family, subject="Hallo")
    record_version(family, None, "three languages")
    restore_version(first, make_user("editor"))
    assert sorted(EmailTemplate.objects.values_list("language", flat=True)) == ["", "id"]


def test_diff_of_identical_versions_is_empty(family):
    one = record_version(family, None, "a")
    two = record_version(family, None, "b", force=True)
    assert diff_versions(one, two) == []


def test_diff_and_change_form_show_hostile_template_source_as_text(admin_client, family):
    hostile = "<script>window.__xss=1</script>"
    edit(admin_client, family, html_content=hostile, id_content=hostile)
    pages = [admin_client.get(studio_url(family, "history/") + "?from=1&to=2").content.decode(),
             admin_client.get(change_url(family)).content.decode()]
    for html in pages:
        assert hostile not in html
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
