"""Factories for the console tests: staff users with chosen permissions, emails in any state."""

from __future__ import annotations

import pytest

from post_office import mail
from post_office.models import STATUS, Email


@pytest.fixture
def make_email(db):
    """Queue an email through the public API, then put it in ``status`` if asked."""

    def make(status: int | None = None, **kwargs) -> Email:
        kwargs.setdefault("recipients", ["alice@example.com"])
        kwargs.setdefault("sender", "shop@example.com")
        if "template" not in kwargs:
            kwargs.setdefault("subject", "Your order")
            kwargs.setdefault("message", "Thanks for your order.")
        email = mail.send(**kwargs)
        if status is not None:
            Email.objects.filter(pk=email.pk).update(status=status)
            email.refresh_from_db()
        return email

    return make


@pytest.fixture
def failed_email(make_email):
    def make(**kwargs) -> Email:
        email = make_email(status=STATUS.failed, **kwargs)
        Email.objects.filter(pk=email.pk).update(number_of_retries=3)
        email.refresh_from_db()
        return email

    return make


@pytest.fixture
def email_with_inline_image(make_email):
    """An HTML email whose logo is a ``cid:`` image stored as an attachment, plus a PDF."""
    from django.core.files.base import ContentFile

    from tests.admin_ui.pngs import make_png

    def make(**kwargs) -> Email:
        kwargs.setdefault("html_message", '<p>Hello</p><img id="logo" src="cid:logo@shop" alt="logo">')
        return make_email(attachments={
            "logo.png": {"file": ContentFile(make_png()), "mimetype": "image/png",
                         "headers": {"Content-ID": "<logo@shop>"}},
            "invoice.pdf": {"file": ContentFile(b"%PDF-1.4 invoice"), "mimetype": "application/pdf"},
        }, **kwargs)

    return make


def admin_url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"admin:post_office_email_{name}", args=args)
