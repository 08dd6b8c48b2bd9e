"""Fixtures of the template studio tests: users with chosen permissions, template families."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from post_office.models import EmailTemplate

LOGO = "post_office/studio/sample-logo.png"  # shipped static file, found by the staticfiles finders


@pytest.fixture
def post_office_engine(settings):
    """Render with the post_office engine, as a project using {% inline_image %} must."""
    settings.POST_OFFICE = {**settings.POST_OFFICE, "TEMPLATE_ENGINE": "post_office"}


@pytest.fixture
def make_user(db):
    def make(username: str = "marketer", *codenames: str, superuser: bool = False) -> User:
        user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True,
                                        is_superuser=superuser)
        if codenames:
            user.user_permissions.set(Permission.objects.filter(
                content_type__app_label="post_office", codename__in=codenames))
        return user
    return make


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("boss", superuser=True))
    return client


@pytest.fixture
def family(db):
    """welcome: an English default with an Indonesian translation and a sample context."""
    default = EmailTemplate.objects.create(
        name="welcome", description="Sent after sign-up", subject="Hello {{ name }}",
        content="Hi {{ name }}, your code is {{ code }}.",
        html_content="<p>Hi <b>{{ name }}</b>, your code is {{ code }}.</p>",
        sample_context={"name": "Ada", "code": "X1"},
    )
    EmailTemplate.objects.create(
        name="welcome", language="id", default_template=default, subject="Halo {{ name }}",
        content="Hai {{ name }}, kode Anda {{ code }}.",
        html_content="<p>Hai <b>{{ name }}</b>, kode Anda {{ code }}.</p>",
    )
    return default
