"""Fixtures for the webhook tests: the Amazon stand-ins, settings, and email factories."""

from __future__ import annotations

import pytest

from post_office import mail
from post_office.models import Email
from post_office.webhooks import sns

from .support import LoopbackServer, SnsSigner

SPARKPOST_AUTH = ("sparkpost-hook", "s3cret-Pa55")


@pytest.fixture(scope="session")
def loopback():
    server = LoopbackServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def signer(loopback):
    return SnsSigner(loopback)


@pytest.fixture(autouse=True)
def _fresh_certificate_cache():
    sns.clear_certificate_cache()
    yield
    sns.clear_certificate_cache()


@pytest.fixture
def webhook_settings(settings, loopback):
    """Message-IDs on, SES trusting the loopback server, SparkPost with basic auth."""
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "MESSAGE_ID_ENABLED": True,
        "MESSAGE_ID_FQDN": "mail.example.org",
        "WEBHOOKS": {
            "SES": {"TEST_SNS_HOSTS": [loopback.netloc]},
            "SPARKPOST": {"USERNAME": SPARKPOST_AUTH[0], "PASSWORD": SPARKPOST_AUTH[1]},
        },
    }
    return settings


@pytest.fixture
def make_email(webhook_settings):
    """Queue an email through the public API; it gets a Message-ID (MESSAGE_ID_ENABLED)."""

    def make(to: str, **kwargs) -> Email:
        kwargs.setdefault("subject", "Your order has shipped")
        kwargs.setdefault("message", "It is on its way.")
        return mail.send([to], "shop@example.org", **kwargs)

    return make
