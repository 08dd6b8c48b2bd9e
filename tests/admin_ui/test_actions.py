"""Bulk actions and detail buttons: confirmation page with the count and the effect, the
operation on confirm, a result message with counts, and Django admin LogEntry rows."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.messages import get_messages

from post_office.models import STATUS, Email
from tests.admin_ui.conftest import admin_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client_for):
    return client_for("view_email", "requeue_email", "resend_email", "cancel_email", "delete_email")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_bulk_requeue_confirms_with_count_then_requeues_and_reports(failed_email, make_email, operator):
    failed = [failed_email() for _ in range(3)]
    sent = make_email(status=STATUS.sent)
    selection = [e.pk for e in failed] + [sent.pk]
    url = admin_url("changelist")

    confirm = operator.post(url, {"action": "requeue_selected", "_selected_action": selection, "index": "0"})
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "This will affect 4 selected emails." in page
    assert "Failed emails go back to the queue" in page
    assert Email.objects.filter(status=STATUS.failed).count() == 3  # nothing happened yet

    done = operator.post(url, {"action": "requeue_selected", "_selected_action": selection, "post": "yes",
                               "select_across": "0"})
    assert done.status_code == 302 and done["Location"] == url
    assert messages_of(done) == ["3 emails requeued. 1 email skipped (1 not failed)."]
    assert Email.objects.filter(status=STATUS.queued).count() == 3
    entries = LogEntry.objects.filter(action_flag=CHANGE, change_message="Requeued")
    assert sorted(int(e.object_id) for e in entries) == sorted(e.pk for e in failed)


def test_select_across_applies_to_the_whole_filtered_list(failed_email, make_email, operator):
    failed = [failed_email() for _ in range(4)]
    make_email()
    url = admin_url("changelist") + f"?status={STATUS.failed}"
    confirm = operator.post(url, {"action": "cancel_selected", "_selected_action": [failed[0].pk],
                                  "select_across": "1", "index": "0"})
    assert "This will affect 4 selected emails." in confirm.content.decode()
    done = operator.post(url, {"action": "resend_selected", "_selected_action": [failed[0].pk],
                               "select_across": "1", "post": "yes"})
    assert messages_of(done) == ["4 copies queued."]
    assert Email.objects.filter(status=STATUS.queued).count() == 5
    assert LogEntry.objects.filter(action_flag=ADDITION).count() == 4


def test_bulk_cancel_reports_what_was_skipped(make_email, operator):
    queued = make_email()
    sent = make_email(status=STATUS.sent)
    response = operator.post(admin_url("changelist"), {
        "action": "cancel_selected", "_selected_action": [queued.pk, sent.pk], "post": "yes"})
    assert messages_of(response) == ["1 email cancelled. 1 email skipped (1 not queued)."]
    queued.refresh_from_db()
    assert queued.status == STATUS.failed and queued.logs.get().exception_type == "Cancelled"


def test_detail_button_confirms_on_get_and_acts_on_post(failed_email, operator):
    email = failed_email()
    url = admin_url("requeue_one", email.pk)
    confirm = operator.get(url)
    assert confirm.status_code == 200
    assert "This will affect 1 selected email." in confirm.content.decode()
    email.refresh_from_db()
    assert email.status == STATUS.failed
    done = operator.post(url)
    assert done.status_code == 302 and done["Location"] == admin_url("change", email.pk)
    assert messages_of(done) == ["1 email requeued."]
    email.refresh_from_db()
    assert email.status == STATUS.queued
    assert LogEntry.objects.get().object_id == str(email.pk)


def test_detail_resend_leaves_the_original_and_logs_the_copy(make_email, operator):
    email = make_email(status=STATUS.sent)
    response = operator.post(admin_url("resend_one", email.pk))
    assert messages_of(response) == ["1 copy queued."]
    copy = Email.objects.exclude(pk=email.pk).get()
    assert copy.status == STATUS.queued
    assert Email.objects.get(pk=email.pk).status == STATUS.sent
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.action_flag) == (str(copy.pk), ADDITION)


def test_unknown_email_gives_404_not_500(operator):
    assert operator.get(admin_url("requeue_one", 999999)).status_code == 404
    assert operator.get(admin_url("preview", 999999)).status_code == 404
    assert operator.get(admin_url("eml", 999999)).status_code == 404


def test_delete_action_still_works_with_confirmation(make_email, operator):
    email = make_email()
    confirm = operator.post(admin_url("changelist"), {"action": "delete_selected", "_selected_action": [email.pk],
                                                      "index": "0"})
    assert confirm.status_code == 200 and "Are you sure" in confirm.content.decode()
    operator.post(admin_url("changelist"), {"action": "delete_selected", "_selected_action": [email.pk],
                                            "post": "yes"})
    assert not Email.objects.exists()


def test_detail_page_offers_only_the_buttons_that_can_act_on_this_email(make_email, client_for):
    client = client_for("view_email", "requeue_email", "resend_email", "cancel_email")
    sent, failed, queued = make_email(status=STATUS.sent), make_email(status=STATUS.failed), make_email()

    def buttons(email) -> set[str]:
        html = client.get(f"/admin/post_office/email/{email.pk}/change/").content.decode()
        return {name for name in ("requeue", "resend", "cancel")
                if f"/admin/post_office/email/{email.pk}/{name}/" in html}

    assert buttons(sent) == {"resend"}
    assert buttons(failed) == {"requeue", "resend"}
    assert buttons(queued) == {"resend", "cancel"}
