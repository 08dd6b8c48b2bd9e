"""``send_queued_mail`` and ``cleanup_mail`` as cron runs them."""

from __future__ import annotations

import datetime
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from post_office import mail
from post_office.models import STATUS, Attachment, Email, Log

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def queue(count: int, **kwargs) -> None:
    for n in range(count):
        mail.send(f"user{n}@example.com", "from@example.com", subject=f"S{n}", message="M", **kwargs)


def test_send_queued_mail_delivers_every_due_email_across_batches(smtp_backend, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BATCH_SIZE": 2}
    queue(5)
    mail.send("later@example.com", "from@example.com", subject="later",
              scheduled_time=timezone.now() + datetime.timedelta(hours=1))

    output = run("send_queued_mail")

    assert sorted(m.message["Subject"] for m in smtp_backend.messages) == [f"S{n}" for n in range(5)]
    assert Email.objects.filter(status=STATUS.sent).count() == 5
    assert Email.objects.get(subject="later").status == STATUS.queued
    assert "5 sent, 0 failed, 0 requeued" in output


def test_send_queued_mail_accepts_the_lockfile_option_and_log_level(smtp_backend, tmp_path):
    queue(2)
    lockfile = tmp_path / "post_office"
    run("send_queued_mail", "-L", str(lockfile), "--log-level", "0", "--verbosity=0")
    run("send_queued_mail", "--lockfile", str(lockfile), "-l", "1", "--verbosity=0")
    assert len(smtp_backend.messages) == 2
    assert Log.objects.count() == 0
    assert not any(tmp_path.iterdir())  # claims live in the database, not in a lock file


def test_send_queued_mail_log_level_2_logs_successes(smtp_backend):
    queue(2)
    run("send_queued_mail", "--log-level=2", "--verbosity=0")
    assert list(Log.objects.values_list("status", flat=True)) == [STATUS.sent, STATUS.sent]


@pytest.mark.django_db(transaction=True)  # the forked processes read committed rows
def test_send_queued_mail_with_processes_delivers_each_email_once(smtp_backend, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BATCH_SIZE": 3}
    queue(12)

    output = run("send_queued_mail", "--processes=2")

    received = sorted(m.message["Subject"] for m in smtp_backend.messages)
    assert received == sorted(f"S{n}" for n in range(12))  # none lost, none twice
    assert Email.objects.filter(status=STATUS.sent).count() == 12
    assert "12 sent" in output
    run("send_queued_mail", "-p", "2", "--verbosity=0")
    assert len(smtp_backend.messages) == 12


@pytest.mark.parametrize("args, message", [
    (["--processes=0"], "--processes"),
    (["--log-level=5"], "invalid choice"),
])
def test_send_queued_mail_rejects_bad_options(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("send_queued_mail", *args)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def make_old(days: int, count: int = 1, attachment: str | None = None) -> list[Email]:
    emails = []
    for _ in range(count):
        kwargs = {"attachments": {attachment: ContentFile(b"x")}} if attachment else {}
        email = mail.send("a@example.com", "from@example.com", subject=f"{days}d", **kwargs)
        Email.objects.filter(pk=email.pk).update(created=timezone.now() - datetime.timedelta(days=days))
        emails.append(email)
    return emails


def test_cleanup_mail_deletes_emails_older_than_90_days_by_default(media_root):
    make_old(91, count=2)
    make_old(89)
    output = run("cleanup_mail")
    assert list(Email.objects.values_list("subject", flat=True)) == ["89d"]
    assert output.startswith("Deleted 2 mails")


def test_cleanup_mail_days_option(media_root):
    make_old(31)
    make_old(29)
    run("cleanup_mail", "--days=30")
    assert list(Email.objects.values_list("subject", flat=True)) == ["29d"]
    run("cleanup_mail", "-d", "0")
    assert Email.objects.count() == 0


def test_cleanup_mail_keeps_attachments_unless_asked(media_root):
    [old] = make_old(100, attachment="old.txt")
    path = old.attachments.get().file.path
    run("cleanup_mail")
    assert Email.objects.count() == 0
    assert Attachment.objects.count() == 1 and os.path.exists(path)


def test_cleanup_mail_delete_attachments_removes_orphans_and_their_files(media_root):
    [old] = make_old(100, attachment="old.txt")
    [recent] = make_old(1, attachment="recent.txt")
    shared = old.attachments.get()
    shared.emails.add(recent)  # still used by a recent email: must stay
    [orphan] = make_old(100, attachment="orphan.txt")
    orphan_path = orphan.attachments.get().file.path

    output = run("cleanup_mail", "--days=30", "--delete-attachments")

    assert set(Attachment.objects.values_list("name", flat=True)) == {"old.txt", "recent.txt"}
    assert not os.path.exists(orphan_path)
    assert os.path.exists(shared.file.path)
    assert "and 1 attachments" in output


def test_cleanup_mail_batch_size_still_deletes_everything(media_root, django_assert_max_num_queries):
    make_old(100, count=5, attachment="f.txt")
    run("cleanup_mail", "--batch-size=2", "--delete-attachments")
    assert Email.objects.count() == 0 and Attachment.objects.count() == 0
    assert [f for _d, _s, files in os.walk(media_root) for f in files] == []


@pytest.mark.parametrize("args", [["--days=-1"], ["--batch-size=0"], ["--days=abc"]])
def test_cleanup_mail_rejects_bad_options(args):
    with pytest.raises(CommandError):
        call_command("cleanup_mail", *args)
