"""Who sees what: anonymous users go to the login page, staff need the model's view permission
for every email endpoint, and each custom permission unlocks exactly its action."""

from __future__ import annotations

import pytest
from django.test import Client

from post_office.admin_ui.access import EMAIL, STUDIO, image_token
from post_office.models import STATUS, Email
from tests.admin_ui.conftest import admin_url

pytestmark = pytest.mark.django_db


def email_endpoints(email: Email) -> list[str]:
    attachment = email.attachments.get(name="invoice.pdf")
    return [
        admin_url("changelist"),
        admin_url("change", email.pk),
        admin_url("preview", email.pk),
        admin_url("inline_image", email.pk, 0),
        admin_url("eml", email.pk),
        admin_url("attachment", email.pk, attachment.pk),
        admin_url("live", email.pk),
    ]


def test_anonymous_user_is_sent_to_login_from_every_console_url(email_with_inline_image):
    email = email_with_inline_image()
    for url in email_endpoints(email) + [admin_url("requeue_one", email.pk)]:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_staff_without_view_permission_gets_403_on_every_email_endpoint(email_with_inline_image, client_for):
    email = email_with_inline_image()
    client = client_for()  # staff, no post_office permission at all
    for url in email_endpoints(email):
        assert client.get(url).status_code == 403, url


def test_non_staff_user_is_sent_to_login(email_with_inline_image, django_user_model):
    email = email_with_inline_image()
    client = Client()
    client.force_login(django_user_model.objects.create_user("customer", password="pw"))
    response = client.get(admin_url("preview", email.pk))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_viewer_sees_no_action_and_gets_403_on_action_urls(failed_email, client_for):
    email = failed_email()
    client = client_for("view_email")
    listing = client.get(admin_url("changelist")).content.decode()
    assert "requeue_selected" not in listing and "resend_selected" not in listing
    assert "cancel_selected" not in listing
    detail = client.get(admin_url("change", email.pk)).content.decode()
    for name in ("requeue_one", "resend_one", "cancel_one"):
        assert admin_url(name, email.pk) not in detail
        assert client.get(admin_url(name, email.pk)).status_code == 403
        assert client.post(admin_url(name, email.pk)).status_code == 403
    for action in ("requeue_selected", "resend_selected", "cancel_selected"):
        response = client.post(admin_url("changelist"), {"action": action, "_selected_action": [email.pk],
                                                         "index": "0", "post": "yes"})
        assert response.status_code == 403, action
    email.refresh_from_db()
    assert email.status == STATUS.failed
    assert Email.objects.count() == 1


@pytest.mark.parametrize("codename,allowed", [
    ("requeue_email", "requeue"), ("resend_email", "resend"), ("cancel_email", "cancel"),
])
def test_each_custom_permission_unlocks_only_its_own_action(failed_email, make_email, client_for, codename,
                                                            allowed):
    # Each button is offered only where it can act: cancel on a queued email, requeue on a failed one.
    email = make_email() if allowed == "cancel" else failed_email()
    client = client_for("view_email", codename)
    listing = client.get(admin_url("changelist")).content.decode()
    detail = client.get(admin_url("change", email.pk)).content.decode()
    for name in ("requeue", "resend", "cancel"):
        assert (f"{name}_selected" in listing) == (name == allowed), name
        assert (admin_url(f"{name}_one", email.pk) in detail) == (name == allowed), name
        expected = 200 if name == allowed else 403
        assert client.get(admin_url(f"{name}_one", email.pk)).status_code == expected, name


def test_inline_image_token_is_bound_to_its_email_and_to_a_user_who_may_view(
        email_with_inline_image, make_staff):
    email = email_with_inline_image()
    other = email_with_inline_image()
    viewer = make_staff("view_email")
    outsider = make_staff()
    url = admin_url("inline_image", email.pk, 0)
    assert Client().get(url, {"t": image_token(EMAIL, email.pk, viewer.pk)}).status_code == 200
    assert Client().get(url, {"t": image_token(EMAIL, other.pk, viewer.pk)}).status_code == 403
    assert Client().get(url, {"t": image_token(EMAIL, email.pk, outsider.pk)}).status_code == 403
    # A token of another preview kind never opens an email, even with the same key.
    assert Client().get(url, {"t": image_token(STUDIO, email.pk, viewer.pk)}).status_code == 403
    assert Client().get(url, {"t": "forged:token"}).status_code == 403
    viewer.is_active = False
    viewer.save()
    assert Client().get(url, {"t": image_token(EMAIL, email.pk, viewer.pk)}).status_code == 403
