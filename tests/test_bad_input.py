"""Bad input to ``mail.send()``: a clear error naming the argument, and nothing written."""

from __future__ import annotations

import datetime
import os
import random

import pytest
from django.core.files.base import ContentFile

from post_office import mail
from post_office.errors import InvalidEmailError, PostOfficeError
from post_office.models import Attachment, Email, EmailTemplate, Log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def templates():
    welcome = EmailTemplate.objects.create(name="welcome", subject="Hi {{ name }}", content="Hello")
    welcome.translated_templates.create(language="id", subject="Halo {{ name }}")


def files_in(root) -> list[str]:
    return [os.path.join(d, f) for d, _dirs, names in os.walk(root) for f in names]


VALID = {"recipients": ["a@example.com"], "sender": "from@example.com", "subject": "S", "message": "M",
         # A valid attachment rides along: its file must not be left behind either.
         "attachments": {"ok.txt": ContentFile(b"fine")}}

CASES = [
    ("recipients", {"recipients": ["ok@example.com", "not-an-address"]}, "not-an-address"),
    ("recipients", {"recipients": "two@example.com, three@example.com"}, "two@example.com"),
    ("recipients", {"recipients": [], "cc": None, "bcc": None}, "at least one recipient"),
    ("recipients", {"recipients": 42}, "list of addresses"),
    ("cc", {"cc": ["cc@example.com", "broken@"]}, "broken@"),
    ("bcc", {"bcc": "no at sign"}, "no at sign"),
    ("sender", {"sender": "Alice <alice@>"}, "alice@"),
    ("sender", {"sender": "evil@example.com\nBcc: x@example.com"}, "evil@example.com"),
    ("template", {"template": "nope", "subject": "", "message": ""}, "no EmailTemplate named 'nope'"),
    ("template", {"template": 3, "subject": "", "message": ""}, "EmailTemplate"),
    ("subject", {"template": "welcome", "message": ""}, 'cannot be combined with "template"'),
    ("language", {"template": "welcome", "subject": "", "message": "", "language": "xx"}, "'xx'"),
    ("subject", {"subject": "Hi {% if %}"}, "cannot render"),
    ("message", {"message": "line1\n{% endif %}"}, "cannot render"),
    ("html_message", {"html_message": "{{ x|nosuchfilter }}"}, "nosuchfilter"),
    ("attachments", {"attachments": {"ok.txt": ContentFile(b"fine"), "gone.doc": "/nonexistent/gone.doc"}},
     "/nonexistent/gone.doc"),
    ("attachments", {"attachments": {"x.txt": {"mimetype": "text/plain"}}}, "'file'"),
    ("attachments", {"attachments": {"x.txt": 12}}, "expected a path"),
    ("attachments", {"attachments": ["not", "a", "dict"]}, "dict"),
    ("backend", {"backend": "nosuch"}, "'nosuch' is not configured"),
    ("render_on_delivery", {"render_on_delivery": True}, '"template" is required'),
    ("priority", {"priority": "urgent"}, "'urgent'"),
    ("priority", {"priority": 7}, "7"),
    ("headers", {"headers": ["X-Foo: bar"]}, "dict"),
    ("headers", {"headers": {"X-Evil": "a\r\nBcc: victim@example.com"}}, "newline"),
    ("headers", {"headers": {"Bad Name": "x"}}, "'Bad Name'"),
    ("headers", {"headers": {"X-Obj": object()}}, "X-Obj"),
    ("context", {"template": "welcome", "subject": "", "message": "", "render_on_delivery": True,
                 "context": {"when": object()}}, "cannot be stored"),
    ("context", {"template": "welcome", "subject": "", "message": "", "render_on_delivery": True,
                 "context": ["not", "a", "dict"]}, "must be a dict"),
    ("expires_at", {"scheduled_time": datetime.datetime(2030, 1, 2, tzinfo=datetime.UTC),
                    "expires_at": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)}, "scheduled_time"),
    ("scheduled_time", {"scheduled_time": "2024-01-01"}, "date"),
    ("expires_at", {"expires_at": 12345}, "date"),
]


@pytest.mark.parametrize("field, changes, detail", CASES,
                         ids=[f"{field}-{n}" for n, (field, _c, _d) in enumerate(CASES)])
def test_bad_argument_is_named_and_nothing_is_written(field, changes, detail, media_root):
    before = (Email.objects.count(), Attachment.objects.count(), Log.objects.count())

    with pytest.raises(InvalidEmailError) as info:
        mail.send(**{**VALID, **changes})

    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert detail in str(info.value)
    assert isinstance(info.value, (PostOfficeError, ValueError))
    assert (Email.objects.count(), Attachment.objects.count(), Log.objects.count()) == before
    assert files_in(media_root) == []


def test_priority_now_with_a_bad_argument_sends_nothing(smtp_backend):
    with pytest.raises(InvalidEmailError) as info:
        mail.send(["a@example.com"], "from@example.com", subject="S", priority="now", bcc=["bad"])
    assert info.value.field == "bcc"
    assert smtp_backend.messages == []
    assert Email.objects.count() == 0


def test_errors_are_value_errors_like_django_post_office():
    with pytest.raises(ValueError):
        mail.send("a@example.com", "f@example.com", priority="urgent")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        mail.send("bad", "f@example.com")


# --- addresses: what is accepted and refused, and the fast path agrees with the full parser ------

ACCEPTED = [
    '"Smith, John" <john@example.com>',
    '"O\'Brien, \\"Bob\\"" <bob@example.com>',
    "Zoë <zoe@example.com>",
    "<bare@example.com>",
    "plain+tag@example.com",
    "o'brien@example.com",
    "admin@localhost",
    "user@[127.0.0.1]",
    "user@münchen.de",
    "USER@EXAMPLE.COM",
]
REFUSED = [
    "a..b@example.com", ".a@example.com", "a.@example.com", "a@-example.com", "a@example", "a@example.c",
    "Smith, John <j@example.com>", "j@example.com, k@example.com", "a@b@example.com", '"a b"@example.com',
    "user@example.com.", "user@sub_domain.example.com", "a@" + "b" * 64 + ".com",
]


@pytest.mark.parametrize("address", ACCEPTED)
def test_display_names_with_commas_and_quotes_are_accepted_and_kept(address):
    email = mail.send([address], "from@example.com", subject="S")
    assert Email.objects.get(pk=email.pk).to == [address]


@pytest.mark.parametrize("address", REFUSED)
def test_malformed_addresses_are_refused_naming_the_field(address):
    with pytest.raises(InvalidEmailError) as info:
        mail.send(["ok@example.com", address], "from@example.com", subject="S")
    assert str(info.value) == f"recipients: {address!r} is not a valid email address."
    assert Email.objects.count() == 0


def full_parser_verdict(value: str) -> list[str] | None:
    """The address check without the plain-address shortcut: parse, then Django's validator."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from post_office.utils_address import split_address

    address = split_address(value)
    if address is None:
        return [f"Enter a valid email address: {value}"]
    try:
        validate_email(address)
    except ValidationError as exc:
        return exc.messages
    return None


def test_the_plain_address_shortcut_decides_exactly_like_the_full_parser():
    from django.core.exceptions import ValidationError

    from post_office.validators import validate_email_with_name

    rnd = random.Random(20240611)
    local, label = "aZ09!#$%&'*+/=?^_`{|}~.-", "aZ09-_"

    def text(alphabet: str, longest: int) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, longest)))

    corpus = ACCEPTED + REFUSED + [" j@example.com", "j@exa mple.com", "x" * 65 + "@example.com"]
    corpus += [text(local, 8) + "@" + ".".join(text(label, 5) for _ in range(rnd.randint(1, 3)))
               + rnd.choice(["", ".", ".com", ".c", ".co-", ".xn--p1ai"]) for _ in range(6000)]
    corpus += ["".join(rnd.choice(local + '@<>", ;:()[]\\ é') for _ in range(rnd.randint(1, 16))) for _ in range(4000)]
    disagreements = []
    for value in corpus:
        try:
            validate_email_with_name(value)
            verdict = None
        except ValidationError as exc:
            verdict = exc.messages
        if verdict != full_parser_verdict(value):
            disagreements.append(value)
    assert disagreements == []
    assert sum(full_parser_verdict(value) is None for value in corpus) > 200  # the corpus has valid ones
