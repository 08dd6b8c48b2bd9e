"""``mail.send_many()``: bulk, constant queries, one signal, delivered like ``send()``."""

from __future__ import annotations

import os

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from post_office import mail
from post_office.errors import InvalidEmailError
from post_office.models import PRIORITY, STATUS, Attachment, Email, EmailTemplate
from post_office.signals import email_queued


def kwargs_list(count: int, **extra) -> list[dict]:
    return [
        {"sender": "from@example.com", "recipients": [f"user{n}@example.com"], "subject": f"Hi {n}",
         "message": "Hi {{ n }}!", "context": {"n": n}, **extra}
        for n in range(count)
    ]


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


@pytest.mark.django_db
def test_readme_example_queues_both_emails():
    first_email = {"sender": "from@example.com", "recipients": ["alice@example.com"],
                   "subject": "Hi!", "message": "Hi Alice!"}
    second_email = {"sender": "from@example.com", "recipients": ["bob@example.com"],
                    "subject": "Hi!", "message": "Hi Bob!"}

    emails = mail.send_many([first_email, second_email])

    assert len(emails) == 2
    rows = list(Email.objects.order_by("id").values_list("to", "message", "status", "priority"))
    assert rows == [(["alice@example.com"], "Hi Alice!", STATUS.queued, PRIORITY.medium),
                    (["bob@example.com"], "Hi Bob!", STATUS.queued, PRIORITY.medium)]


@pytest.mark.django_db
def test_100_emails_are_queued_in_at_most_3_queries(django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        mail.send_many(kwargs_list(100))
    assert Email.objects.count() == 100


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_emails():
    small = count_queries(lambda: mail.send_many(kwargs_list(100)))
    large = count_queries(lambda: mail.send_many(kwargs_list(300)))
    assert Email.objects.count() == 400
    # One INSERT per database parameter-limit batch at most, never one per email.
    assert large < 3 * small
    if connection.vendor == "postgresql":
        assert small == large == 1


@pytest.mark.django_db
def test_a_template_is_looked_up_once_for_the_whole_list(settings):
    settings.POST_OFFICE_CACHE = False
    EmailTemplate.objects.create(name="news", subject="News for {{ n }}", content="Hello {{ n }}")
    items = [{"sender": "from@example.com", "recipients": [f"u{n}@example.com"], "template": "news",
              "context": {"n": n}} for n in range(150)]

    with CaptureQueriesContext(connection) as captured:
        emails = mail.send_many(items)

    lookups = [q["sql"] for q in captured if "post_office_emailtemplate" in q["sql"]]
    assert len(lookups) == 1
    assert emails[149].subject == "News for 149"
    assert Email.objects.filter(template__name="news").count() == 150


@pytest.mark.django_db
def test_email_queued_signal_is_sent_once_with_every_email():
    calls = []

    def receiver(sender, emails, **kwargs):
        calls.append(list(emails))

    email_queued.connect(receiver)
    try:
        emails = mail.send_many(kwargs_list(5))
    finally:
        email_queued.disconnect(receiver)
    assert len(calls) == 1
    assert calls[0] == emails and len(emails) == 5


@pytest.mark.django_db
def test_empty_list_queues_nothing_and_sends_no_signal():
    calls = []
    receiver = lambda sender, emails, **kwargs: calls.append(emails)  # noqa: E731
    email_queued.connect(receiver)
    try:
        assert mail.send_many([]) == []
    finally:
        email_queued.disconnect(receiver)
    assert calls == []


@pytest.mark.django_db
def test_attachments_are_refused_with_an_error_naming_the_item(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    items = kwargs_list(3)
    items[2]["attachments"] = {"a.txt": ContentFile(b"x")}

    with pytest.raises(InvalidEmailError) as info:
        mail.send_many(items)

    assert info.value.field == "kwargs_list[2].attachments"
    assert "not supported" in str(info.value)
    assert Email.objects.count() == 0 and Attachment.objects.count() == 0
    assert os.listdir(tmp_path) == []


@pytest.mark.django_db
def test_one_bad_address_rejects_the_whole_list_before_writing():
    items = kwargs_list(4)
    items[3]["recipients"] = ["not-an-address"]

    with pytest.raises(InvalidEmailError) as info:
        mail.send_many(items)

    assert info.value.field == "kwargs_list[3].recipients"
    assert "not-an-address" in str(info.value)
    assert Email.objects.count() == 0


@pytest.mark.django_db
def test_priority_now_is_refused():
    with pytest.raises(InvalidEmailError) as info:
        mail.send_many(kwargs_list(1, priority="now"))
    assert info.value.field == "kwargs_list[0].priority"
    assert Email.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_queued_emails_are_delivered_like_send(smtp_backend):
    EmailTemplate.objects.create(name="lazy", subject="Lazy {{ n }}", html_content="<b>{{ n }}</b>")
    items = kwargs_list(3, cc=["cc@example.com"], headers={"X-Batch": "b1"})
    items.append({"sender": "Shop <shop@example.com>", "recipients": "lazy@example.com",
                  "template": "lazy", "context": {"n": 7}, "render_on_delivery": True, "priority": "high"})

    mail.send_many(items)
    assert mail.send_queued() == (4, 0, 0)

    by_subject = {m.message["Subject"]: m for m in smtp_backend.messages}
    assert sorted(by_subject) == ["Hi 0", "Hi 1", "Hi 2", "Lazy 7"]
    plain = by_subject["Hi 1"]
    assert sorted(plain.rcpt_tos) == ["cc@example.com", "user1@example.com"]
    assert plain.message["X-Batch"] == "b1"
    assert plain.message.get_content().rstrip() == "Hi 1!"
    lazy = by_subject["Lazy 7"]
    assert lazy.mail_from == "shop@example.com"
    assert lazy.message.get_content_type() == "text/html"
    assert lazy.message.get_content().rstrip() == "<b>7</b>"
    assert Email.objects.filter(status=STATUS.sent).count() == 4
