"""Sending a test from the studio: a real email through mail.send, to the sink, linked back."""

from __future__ import annotations

import socket

from django.contrib.messages import get_messages

from post_office.models import STATUS, Email

from .helpers import studio_url


def test_send_test_defaults_to_the_users_address(admin_client, family):
    page = admin_client.get(studio_url(family, "send-test/"))
    assert page.context["form"]["recipients"].value() == "boss@example.com"
    choices = [code for code, _label in page.context["form"].fields["language"].choices]
    assert choices == ["", "id"]


def test_send_test_in_indonesian_arrives_at_the_sink_and_links_the_email(admin_client, family, smtp_backend):
    response = admin_client.post(studio_url(family, "send-test/"), {
        "recipients": "qa@example.com, lead@example.com", "language": "id", "backend": "default"})

    assert response.status_code == 302
    [received] = smtp_backend.messages
    assert sorted(received.rcpt_tos) == ["lead@example.com", "qa@example.com"]
    assert received.message["Subject"] == "Halo Ada"  # the saved sample context
    email = Email.objects.get()
    assert email.status == STATUS.sent and email.template.language == "id"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert f'href="/admin/post_office/email/{email.pk}/change/"' in message


def test_send_test_refuses_a_bad_address_at_the_field(admin_client, family, smtp_backend):
    response = admin_client.post(studio_url(family, "send-test/"), {
        "recipients": "qa@example.com, not-an-address", "language": "", "backend": "default"})
    assert response.context["form"].errors["recipients"] == ["Not an email address: not-an-address"]
    assert not Email.objects.exists() and not smtp_backend.messages


def test_failed_test_delivery_is_reported_not_hidden(admin_client, family, smtp_backend, settings):
    with socket.socket() as probe:  # a loopback port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    response = admin_client.post(studio_url(family, "send-test/"), {
        "recipients": "qa@example.com", "language": "", "backend": "default"})
    email = Email.objects.get()
    assert email.status == STATUS.failed
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "error" and "could not be delivered" in str(message)
