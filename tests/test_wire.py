"""post_office.rendering.wire writes the bytes Django's serialiser writes, or declines."""

from __future__ import annotations

import email
import email.policy
import random
import re
from collections import Counter
from email.mime.image import MIMEImage

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME

from post_office.rendering.message import RelatedPartsMessage
from post_office.rendering.wire import wire_bytes

BOUNDARY = "===============0123456789abcdef0123456789abcdef=="
DATE = "Wed, 25 Nov 2026 17:40:49 -0000"

# Header values: mostly what real mail carries, some that must make wire_bytes decline.
SUBJECTS = ["Hello", "Your order #1234 has shipped", "", "Re:  two  spaces", " leading", "trailing ",
            "tab\there", "a" * 69, "a" * 70, "a" * 90, "Grüße aus Berlin", "=?utf-8?q?x?=", "semi; colon, comma"]
ADDRESSES = ["ada@example.com", "Ada Lovelace <ada@example.com>", '"Doe, Jane" <jane@example.com>',
             "bob+tag@sub.example.org", "josé@example.com", "x" * 70 + "@example.com", "Zoë <zoe@example.com>"]
BODIES = ["", "Hello", "Hello\n", "line 1\nline 2\r\nline 3\rline 4\n\n", "Grüße\nZeile zwei\n",
          ".\n..\nFrom here\n", "x" * 998 + "\nshort", "x" * 999 + "\nlong line", "trailing spaces   \n\t\n",
          "emoji 😀\n", "form\x0cfeed", "line\u2028separator"]
HTMLS = ["<p>Hello</p>", "<html><body><h1>Hi</h1>\n<p>Grüße</p></body></html>\n", "", "<p>" + "y" * 1200 + "</p>"]
EXTRA_HEADERS = [("X-Campaign", "spring"), ("List-Unsubscribe", "<mailto:unsubscribe@example.com>"),
                 ("From", "Override <override@example.com>"), ("To", "Undisclosed <list@example.com>"),
                 ("Reply-To", "replies@example.com"), ("reply-to", "ignored@example.com"),
                 ("X-Long", "z" * 80), ("X-Accent", "café"), ("Subject", "duplicate"), ("X-Number", 5)]


# Boundaries around the length at which compat32 starts folding the multipart Content-Type line.
BOUNDARY_LENGTHS = [29, 30, 31, 49, 60, 61]
ALTERNATIVE_TYPES = ["text/html", "text/html", "text/html", "text/x-amp-html", "text/plain",
                     "text/html; charset=utf-8", "application/json"]
SUBTYPES = ["plain", "plain", "html", "plain; format=flowed"]


@pytest.fixture
def fixed_date_and_message_id(monkeypatch):
    """Date and Message-ID generated the same by Django and by wire.py, to compare whole bytes."""
    import django.core.mail.message as django_message

    import post_office.rendering.wire as wire

    for module in (django_message, wire):
        monkeypatch.setattr(module, "formatdate", lambda localtime=False: DATE)
        monkeypatch.setattr(module, "make_msgid", lambda domain=None: f"<generated@{domain}>")


def django_bytes(message: EmailMessage, boundary: str = BOUNDARY) -> bytes:
    mime = message.message()
    if mime.is_multipart():
        mime.set_boundary(boundary)
    return mime.as_bytes(linesep="\r\n")


def generated_messages(count: int, seed: int = 20261125):
    rnd = random.Random(seed)
    for number in range(count):
        headers = {}
        if rnd.random() < 0.5:
            headers["Date"] = DATE
        if rnd.random() < 0.5:
            headers["Message-ID"] = f"<{number}@example.com>"
        for name, value in rnd.sample(EXTRA_HEADERS, rnd.choice([0, 0, 1, 2])):
            headers[name] = value
        kwargs = dict(subject=rnd.choice(SUBJECTS), body=rnd.choice(BODIES), from_email=rnd.choice(ADDRESSES),
                      to=rnd.sample(ADDRESSES, rnd.choice([0, 1, 1, 1, 2])), headers=headers,
                      cc=rnd.sample(ADDRESSES, rnd.choice([0, 0, 0, 1])),
                      bcc=rnd.sample(ADDRESSES, rnd.choice([0, 0, 1])),
                      reply_to=rnd.sample(ADDRESSES, rnd.choice([0, 0, 0, 1])))
        shape = rnd.choice(["text", "html", "alternative", "alternative", "alternative"])
        if shape == "alternative":
            message = EmailMultiAlternatives(**kwargs)
            message.attach_alternative(rnd.choice(HTMLS), rnd.choice(ALTERNATIVE_TYPES))
        else:
            message = EmailMessage(**kwargs)
            message.content_subtype = "html" if shape == "html" else rnd.choice(SUBTYPES)
        boundary = "=" * 15 + "b" * (rnd.choice(BOUNDARY_LENGTHS) - 17) + "=="
        yield shape, message, boundary


def test_writes_what_django_writes_byte_for_byte(fixed_date_and_message_id):
    compared, declined = Counter(), 0
    for shape, message, boundary in generated_messages(6000):
        try:
            expected = django_bytes(message, boundary)
        except Exception:  # noqa: BLE001 - Django refuses it (bad header): ours must not write it
            assert wire_bytes(message, boundary) is None
            continue
        written = wire_bytes(message, boundary)
        if written is None:
            declined += 1
            continue
        assert written == expected, (message.subject, message.extra_headers)
        compared[shape] += 1
        compared["8bit"] += b"Content-Transfer-Encoding: 8bit" in written
        compared["extra"] += any(name.startswith("X-") for name in message.extra_headers)
        compared["cc"] += bool(message.cc)
        compared["generated date"] += "Date" not in message.extra_headers
        compared["generated id"] += "Message-ID" not in message.extra_headers
        compared[f"boundary {len(boundary)}"] += shape == "alternative"
    # The corpus reaches every shape through the fast path, and declines the rest.
    assert compared["text"] > 40 and compared["html"] > 40 and compared["alternative"] > 100, compared
    assert compared["8bit"] > 40 and compared["extra"] > 20 and compared["cc"] > 20, compared
    assert compared["generated date"] > 100 and compared["generated id"] > 100, compared
    assert all(compared[f"boundary {n}"] > 5 for n in (31, 49, 60)), compared
    assert declined > 200


def test_generated_date_and_message_id_are_django_shaped(settings):
    settings.EMAIL_USE_LOCALTIME = False
    message = EmailMultiAlternatives("Hi", "text", "a@example.com", ["b@example.com"])
    message.attach_alternative("<p>html</p>", "text/html")
    parsed = email.message_from_bytes(wire_bytes(message), policy=email.policy.default)
    assert parsed["Date"].datetime is not None
    assert re.fullmatch(rf"<\d+\.\d+\.\d+@{re.escape(str(DNS_NAME))}>", parsed["Message-ID"])
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content().strip() for part in parsed.iter_parts()] == ["text", "<p>html</p>"]


@pytest.mark.parametrize("change", [
    "attachment", "inline image", "latin-1", "non-ascii subject", "long subject", "long body line",
    "other alternative", "two alternatives", "subclass", "mixed subtype", "subtype parameter",
    "alternative parameter", "unfolded boundary",
])
def test_declines_what_it_does_not_write_exactly(change):
    message = RelatedPartsMessage("Hello", "Body", "a@example.com", ["b@example.com"])
    message.attach_alternative("<p>Body</p>", "text/html")
    assert wire_bytes(message) is not None
    if change == "attachment":
        message.attach("report.csv", "a,b\n", "text/csv")
    elif change == "inline image":
        image = MIMEImage(b"GIF89a", "gif")
        image.add_header("Content-ID", "<logo>")
        message.related.append(image)
    elif change == "latin-1":
        message.encoding = "iso-8859-1"
    elif change == "non-ascii subject":
        message.subject = "Grüße"
    elif change == "long subject":
        message.subject = "word " * 20
    elif change == "long body line":
        message.body = "x" * 1000
    elif change == "other alternative":
        message.alternatives = []
        message.attach_alternative("{}", "application/json")
    elif change == "two alternatives":
        message.attach_alternative("<p>again</p>", "text/html")
    elif change == "subclass":
        message = type("Custom", (EmailMultiAlternatives,), {})("Hello", "Body", "a@example.com", ["b@example.com"])
    elif change == "mixed subtype":
        message.alternative_subtype = "mixed"
    elif change == "subtype parameter":
        message.content_subtype = "plain; format=flowed"
    elif change == "alternative parameter":
        message.alternatives = []
        message.attach_alternative("<p>Body</p>", "text/html;foo=bar")
    elif change == "unfolded boundary":  # the Content-Type line fits in 78 characters: not folded
        assert wire_bytes(message, boundary="a" * 30) is None
        return
    assert wire_bytes(message) is None


def test_a_plain_email_message_ignores_an_alternatives_attribute_as_django_does(fixed_date_and_message_id):
    message = EmailMessage("Hello", "Body", "a@example.com", ["b@example.com"])
    message.alternatives = [("<p>ignored</p>", "text/html")]
    assert wire_bytes(message) == django_bytes(message)
