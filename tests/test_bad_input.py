"""Bad input to ``mail.send()``: a clear error naming the argument, and nothing written."""

from __future__ import annotations

import datetime
import os

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
