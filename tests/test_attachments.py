"""Attachments in all three forms of the spec, with mimetype and headers, as they arrive."""

from __future__ import annotations

import os

import pytest
from django.core.files.base import ContentFile

from post_office import mail
from post_office.models import STATUS, Attachment, EmailTemplate
from post_office.utils import create_attachments

pytestmark = pytest.mark.django_db

BINARY = bytes(range(256)) * 4  # every byte value, incl. NUL and 8-bit


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def doc_file(tmp_path):
    path = tmp_path / "file1.doc"
    path.write_bytes(BINARY)
    return str(path)


def attachment_parts(message) -> dict:
    return {part.get_filename(): part for part in message.walk() if part.get_filename()}


def test_readme_example_delivers_all_three_forms(smtp_backend, doc_file):
    EmailTemplate.objects.create(name="welcome_email", subject="Welcome", content="foo is {{ foo }}")
    email = mail.send(
        ["recipient1@example.com"],
        "from@example.com",
        template="welcome_email",
        context={"foo": "bar"},
        priority="now",
        attachments={
            "attachment1.doc": doc_file,
            "attachment2.txt": ContentFile("file content"),
            "attachment3.txt": {"file": ContentFile("file content"), "mimetype": "text/plain"},
        },
    )
    assert email.status == STATUS.sent

    [received] = smtp_backend.messages
    message = received.message
    assert message.get_content_type() == "multipart/mixed"
    parts = attachment_parts(message)
    assert sorted(parts) == ["attachment1.doc", "attachment2.txt", "attachment3.txt"]
    assert parts["attachment1.doc"].get_content_type() == "application/msword"
    assert parts["attachment1.doc"]["Content-Transfer-Encoding"] == "base64"
    assert parts["attachment1.doc"].get_content() == BINARY
    assert parts["attachment2.txt"].get_content() == "file content"
    assert parts["attachment3.txt"].get_content_type() == "text/plain"
    for part in parts.values():
        assert part.get_content_disposition() == "attachment"
    assert next(p for p in message.walk() if p.get_content_type() == "text/plain"
                and not p.get_filename()).get_content() == "foo is bar"


def test_attachment_rows_record_name_mimetype_and_headers(smtp_backend, media_root):
    email = mail.send("a@example.com", "f@example.com", subject="S", message="M", attachments={
        "report.csv": {"file": ContentFile(b"a,b\n1,2\n"), "mimetype": "text/csv", "headers": {"X-Report": "q1"}},
    })
    [attachment] = email.attachments.all()
    assert (attachment.name, attachment.mimetype, attachment.headers) == ("report.csv", "text/csv", {"X-Report": "q1"})
    assert attachment.file.path.startswith(str(media_root))
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"a,b\n1,2\n"


def test_binary_attachment_with_headers_is_base64_encoded(smtp_backend):
    mail.send("a@example.com", "f@example.com", subject="S", message="M", priority="now", attachments={
        "blob.bin": {"file": ContentFile(BINARY), "mimetype": "application/octet-stream",
                     "headers": {"X-Checksum": "abc", "Content-Disposition": 'attachment; filename="blob.bin"'}},
    })
    [received] = smtp_backend.messages
    part = attachment_parts(received.message)["blob.bin"]
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part["X-Checksum"] == "abc"
    assert part.get_content() == BINARY
    assert len(part.get_all("Content-Disposition")) == 1
    # 7-bit clean on the wire: no raw 8-bit or NUL bytes in the body.
    assert max(received.data) < 128 and b"\x00" not in received.data


def test_attachment_headers_can_make_an_inline_image_with_content_id(smtp_backend):
    logo = os.path.join(os.path.dirname(__file__), "data", "static", "po_tests", "logo.png")
    mail.send("a@example.com", "f@example.com", subject="S", html_message='<img src="cid:logo">',
              priority="now", attachments={
                  "logo.png": {"file": logo, "mimetype": "image/png",
                               "headers": {"Content-ID": "<logo>"}}})
    [received] = smtp_backend.messages
    message = received.message
    assert message.get_content_type() == "multipart/related"
    image = attachment_parts(message)["logo.png"]
    assert image["Content-ID"] == "<logo>"
    assert image.get_content_disposition() == "inline"
    with open(logo, "rb") as handle:
        assert image.get_content() == handle.read()


def test_open_file_objects_and_non_ascii_names_are_accepted(smtp_backend, doc_file):
    with open(doc_file, "rb") as handle:
        mail.send("a@example.com", "f@example.com", subject="S", message="M", priority="now",
                  attachments={"Übersicht 2024.doc": handle})
    [received] = smtp_backend.messages
    part = attachment_parts(received.message)["Übersicht 2024.doc"]
    assert part.get_content() == BINARY


def test_text_attachment_that_is_not_utf8_is_sent_as_bytes(smtp_backend):
    latin1 = "Grüße".encode("latin-1")
    mail.send("a@example.com", "f@example.com", subject="S", message="M", priority="now",
              attachments={"legacy.txt": {"file": ContentFile(latin1), "mimetype": "text/plain"}})
    [received] = smtp_backend.messages
    part = attachment_parts(received.message)["legacy.txt"]
    assert part.get_payload(decode=True) == latin1


def test_queued_attachments_are_delivered_by_the_dispatcher(smtp_backend):
    for n in range(3):
        mail.send(f"u{n}@example.com", "f@example.com", subject=f"S{n}", message="M",
                  attachments={f"file{n}.txt": ContentFile(f"content {n}")})
    assert mail.send_queued() == (3, 0, 0)
    by_subject = {m.message["Subject"]: attachment_parts(m.message) for m in smtp_backend.messages}
    assert {s: {n: p.get_content() for n, p in parts.items()} for s, parts in by_subject.items()} == {
        f"S{n}": {f"file{n}.txt": f"content {n}"} for n in range(3)
    }


def test_create_attachments_helper_stores_files(media_root):
    [attachment] = create_attachments({"note.txt": ContentFile(b"hello")})
    assert Attachment.objects.get() == attachment
    assert attachment.mimetype == "text/plain"
    assert os.path.isfile(attachment.file.path)
