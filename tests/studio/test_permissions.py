"""Every studio action is gated by its own permission; the studio honours CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from post_office.models import Email, EmailTemplate, EmailTemplateVersion
from post_office.templates_service.history import record_version

from .helpers import change_url, form_data, studio_url

VIEW = ("view_emailtemplate",)


@pytest.fixture
def viewer_client(client, make_user):
    client.force_login(make_user("viewer", *VIEW))
    return client


def test_viewer_can_preview_but_not_edit(viewer_client, family):
    assert viewer_client.post(studio_url(family, "studio/preview/"), {"language": "id"}).status_code == 200
    page = viewer_client.get(change_url(family))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    response = viewer_client.post(change_url(family), {"name": "hacked"})
    assert response.status_code == 403
    assert EmailTemplate.objects.filter(name="welcome").count() == 2


def test_test_send_needs_its_permission(viewer_client, family, make_user, client):
    assert viewer_client.get(studio_url(family, "send-test/")).status_code == 403
    response = viewer_client.post(studio_url(family, "send-test/"), {
        "recipients": "qa@example.com", "language": "", "backend": "default"})
    assert response.status_code == 403 and not Email.objects.exists()


def test_restore_needs_its_permission(family, make_user, client):
    record_version(family, None, "v1")
    client.force_login(make_user("editor", "view_emailtemplate", "change_emailtemplate"))
    assert client.post(studio_url(family, "studio/restore/1/")).status_code == 403
    assert "Restore v" not in client.get(studio_url(family, "history/")).content.decode()
    assert EmailTemplateVersion.objects.count() == 1


def test_import_needs_its_permission(family, make_user, client):
    client.force_login(make_user("editor", "view_emailtemplate", "add_emailtemplate", "change_emailtemplate"))
    assert client.get("/admin/post_office/emailtemplate/import/").status_code == 403
    assert client.get("/admin/post_office/emailtemplate/export/").status_code == 200


def test_user_without_view_permission_gets_nothing(client, make_user, family):
    client.force_login(make_user("nobody"))
    assert client.post(studio_url(family, "studio/preview/"), {"language": ""}).status_code == 403
    assert client.get(studio_url(family, "history/")).status_code == 403


@pytest.mark.parametrize("path", ["studio/preview/", "studio/restore/1/", "send-test/", "change/"])
def test_posts_without_a_csrf_token_are_refused(family, make_user, path):
    record_version(family, None, "v1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("boss", superuser=True))
    response = client.post(studio_url(family, path), {"language": "", "recipients": "qa@example.com"})
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert EmailTemplateVersion.objects.count() == 1 and not Email.objects.exists()


def test_editor_post_with_the_csrf_token_is_accepted(family, make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("boss", superuser=True))
    page = client.get(change_url(family))
    data = {**form_data(page), "csrfmiddlewaretoken": page.cookies["csrftoken"].value, "subject": "Hey {{ name }}"}
    assert client.post(change_url(family), data).status_code == 302
