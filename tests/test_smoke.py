import pytest

from post_office import mail
from post_office.models import STATUS, Email, EmailTemplate

pytestmark = pytest.mark.django_db(transaction=True)


def test_send_queues_and_dispatch_delivers_over_smtp(smtp_backend):
    email = mail.send("alice@example.com", "from@example.com", subject="Hi", message="Hello",
                      html_message="<b>Hello</b>")
    assert email.status == STATUS.queued
    assert mail.send_queued() == (1, 0, 0)
    email.refresh_from_db()
    assert email.status == STATUS.sent
    [received] = smtp_backend.messages
    assert received.rcpt_tos == ["alice@example.com"]
    msg = received.message
    assert msg["Subject"] == "Hi"
    assert msg.get_content_type() == "multipart/alternative"


def test_template_translation(smtp_backend):
    t = EmailTemplate.objects.create(name="hello", subject="Hello {{ name }}", content="Hi")
    t.translated_templates.create(language="id", subject="Halo {{ name }}")
    mail.send("a@example.com", "f@example.com", template="hello", context={"name": "A"}, language="id",
              priority="now")
    assert smtp_backend.messages[0].message["Subject"] == "Halo A"
    assert Email.objects.get().status == STATUS.sent
