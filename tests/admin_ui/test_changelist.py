"""The email list: constant queries per page, search by recipient / subject / Message-ID, every
filter, and the paginator that avoids counting a million rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office import mail
from post_office.admin_ui.paginator import EstimatedCountPaginator
from post_office.models import STATUS, Email, EmailTemplate, Log
from tests.admin_ui.conftest import admin_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client_for):
    return client_for("view_email", "requeue_email", "resend_email", "cancel_email")


def listed_ids(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def queue_many(count: int, template: EmailTemplate | None = None) -> None:
    mail.send_many([
        {"recipients": [f"user{i}@example.com"], "sender": "shop@example.com",
         **({"template": template, "context": {"n": i}} if template else {"subject": f"Order {i}"})}
        for i in range(count)
    ])


def test_list_query_count_does_not_grow_with_rows(viewer):
    template = EmailTemplate.objects.create(name="t", subject="S {{ n }}", content="c")
    queue_many(3)
    queue_many(2, template)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert viewer.get(admin_url("changelist")).status_code == 200
        return len(captured)

    few = queries()
    queue_many(30)
    queue_many(15, template)
    Log.objects.bulk_create([Log(email=e, status=STATUS.failed, message="x") for e in Email.objects.all()])
    assert queries() == few
    assert few <= 12


def test_list_shows_badges_and_deferred_bodies_are_not_loaded(make_email, viewer):
    make_email(status=STATUS.failed, html_message="<p>" + "x" * 5000 + "</p>")
    response = viewer.get(admin_url("changelist"))
    html = response.content.decode()
    assert "bg-red-100" in html  # unfold's danger badge for 'failed'
    [row] = response.context["cl"].result_list
    assert "html_message" in row.get_deferred_fields()


def test_search_by_recipient_subject_and_message_id(make_email, viewer, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MESSAGE_ID_ENABLED": True}
    alice = make_email(recipients=["Alice.Smith@example.com"], subject="Welcome")
    bob = make_email(recipients=["bob@example.com"], cc=["boss@example.com"], subject="Invoice 7")
    url = admin_url("changelist")
    assert listed_ids(viewer.get(url, {"q": "alice.smith@"})) == {alice.pk}
    assert listed_ids(viewer.get(url, {"q": "boss@example.com"})) == {bob.pk}
    assert listed_ids(viewer.get(url, {"q": "invoice"})) == {bob.pk}
    assert listed_ids(viewer.get(url, {"q": bob.message_id})) == {bob.pk}
    assert listed_ids(viewer.get(url, {"q": bob.message_id.strip("<>")})) == {bob.pk}
    assert listed_ids(viewer.get(url, {"q": "nobody@example.com"})) == set()


@pytest.mark.parametrize("status", [STATUS.sent, STATUS.failed, STATUS.queued, STATUS.requeued, None])
def test_search_finds_an_email_whatever_its_status(make_email, viewer, status):
    # PostgreSQL's search indexes hold settled emails only: the search must reach the rest too.
    wanted = make_email(recipients=["carol@example.com"], subject="Parcel on its way")
    Email.objects.filter(pk=wanted.pk).update(status=status)
    make_email(recipients=["dave@example.com"], subject="Other", status=STATUS.sent)
    make_email(recipients=["erin@example.com"], subject="Other", status=STATUS.queued)
    url = admin_url("changelist")
    assert listed_ids(viewer.get(url, {"q": "CAROL@example"})) == {wanted.pk}
    assert listed_ids(viewer.get(url, {"q": "parcel"})) == {wanted.pk}


def test_filters_by_status_priority_backend_template_and_language(make_email, viewer, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BACKENDS": {
        "default": "django.core.mail.backends.locmem.EmailBackend",
        "bulk": "django.core.mail.backends.locmem.EmailBackend"}}
    base = EmailTemplate.objects.create(name="welcome", subject="Hi", content="c")
    german = EmailTemplate.objects.create(name="welcome", language="de", default_template=base,
                                          subject="Hallo", content="c")
    plain = make_email(status=STATUS.failed, priority="high")
    bulk = make_email(backend="bulk", priority="low")
    templated = make_email(template="welcome", subject="", message="")
    in_german = make_email(template="welcome", language="de", subject="", message="")
    assert in_german.template_id == german.pk
    url = admin_url("changelist")
    assert listed_ids(viewer.get(url, {"status": STATUS.failed})) == {plain.pk}
    assert listed_ids(viewer.get(url, {"priority": 0})) == {bulk.pk}
    assert listed_ids(viewer.get(url, {"backend": "bulk"})) == {bulk.pk}
    assert bulk.pk not in listed_ids(viewer.get(url, {"backend": "default"}))
    assert listed_ids(viewer.get(url, {"template": base.pk})) == {templated.pk, in_german.pk}
    assert listed_ids(viewer.get(url, {"language": "de"})) == {in_german.pk}


def test_created_range_includes_the_whole_end_day(make_email, viewer):
    today = make_email()
    old = make_email()
    Email.objects.filter(pk=old.pk).update(created=timezone.now() - datetime.timedelta(days=10))
    day = timezone.localdate().strftime("%Y-%m-%d")
    url = admin_url("changelist")
    assert listed_ids(viewer.get(url, {"created_from": day, "created_to": day})) == {today.pk}
    assert listed_ids(viewer.get(url, {"created_to": day})) == {today.pk, old.pk}
    assert viewer.get(url, {"created_from": "not a date"}).status_code == 200


def test_schedule_and_failed_attempt_filters(make_email, viewer):
    due = make_email()
    later = make_email(scheduled_time=timezone.now() + datetime.timedelta(hours=2))
    retried = make_email(status=STATUS.sent)
    Log.objects.create(email=retried, status=STATUS.failed, message="451 try later")
    url = admin_url("changelist")
    assert listed_ids(viewer.get(url, {"schedule": "due"})) == {due.pk}
    assert listed_ids(viewer.get(url, {"schedule": "scheduled"})) == {later.pk}
    assert listed_ids(viewer.get(url, {"failed_log": "yes"})) == {retried.pk}
    assert listed_ids(viewer.get(url, {"failed_log": "no"})) == {due.pk, later.pk}


def test_paginator_estimates_the_unfiltered_count_on_postgresql(on_postgres, monkeypatch):
    queue_many(30)
    with on_postgres.cursor() as cursor:
        cursor.execute("ANALYZE post_office_email")
    monkeypatch.setattr(EstimatedCountPaginator, "count_cap", 10)
    unfiltered = EstimatedCountPaginator(Email.objects.order_by("-id"), 50)
    with CaptureQueriesContext(on_postgres) as captured:
        assert unfiltered.count == 30
    assert unfiltered.estimated
    assert "COUNT(" not in captured[0]["sql"].upper() and "reltuples" in captured[0]["sql"]
    filtered = EstimatedCountPaginator(Email.objects.filter(subject__startswith="Order 1").order_by("pk"), 50)
    assert filtered.count >= 11 and filtered.estimated  # above the cap: the planner's estimate, at least the cap
    small = EstimatedCountPaginator(Email.objects.filter(subject="Order 7").order_by("pk"), 50)
    assert small.count == 1 and not small.estimated


def test_paginator_counts_small_lists_exactly_on_any_database(db):
    queue_many(3)
    paginator = EstimatedCountPaginator(Email.objects.order_by("pk"), 50)
    assert paginator.count == 3 and not paginator.estimated
