"""Every state-changing request of the console is a POST that needs the CSRF token."""

from __future__ import annotations

import pytest
from django.middleware.csrf import get_token

from post_office.models import STATUS, Email
from tests.admin_ui.conftest import admin_url

pytestmark = pytest.mark.django_db

ALL_PERMS = ("view_email", "requeue_email", "resend_email", "cancel_email", "delete_email")


def test_every_console_post_is_refused_without_a_csrf_token(failed_email, client_for):
    email = failed_email()
    client = client_for(*ALL_PERMS, enforce_csrf_checks=True)
    posts = [
        (admin_url("requeue_one", email.pk), {}),
        (admin_url("resend_one", email.pk), {}),
        (admin_url("cancel_one", email.pk), {}),
        (admin_url("delete", email.pk), {"post": "yes"}),
    ] + [
        (admin_url("changelist"), {"action": action, "_selected_action": [email.pk], "post": "yes"})
        for action in ("requeue_selected", "resend_selected", "cancel_selected", "delete_selected")
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert b"CSRF" in response.content, url
    assert Email.objects.get().status == STATUS.failed  # nothing changed, nothing copied


def test_the_same_post_with_the_token_goes_through(failed_email, client_for):
    email = failed_email()
    client = client_for(*ALL_PERMS, enforce_csrf_checks=True)
    page = client.get(admin_url("requeue_one", email.pk))
    token = get_token(page.wsgi_request)
    assert f'value="{token}"' in page.content.decode() or "csrfmiddlewaretoken" in page.content.decode()
    response = client.post(admin_url("requeue_one", email.pk), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == STATUS.queued
