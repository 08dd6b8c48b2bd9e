"""Delivery events in the console: the delivery-status filter and badges of the email list, the
per-recipient events on the detail page (escaped), bounces and complaints on the dashboard, and
the suppression list with "Lift suppression"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.core import mail as django_mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office import mail
from post_office.events import ESPEvent, bounce_and_complaint_counts, record_events
from post_office.models import STATUS, Email, Log, RecipientDeliveryStatus, Suppression
from post_office.suppression import suppress
from tests.admin_ui.conftest import admin_url

pytestmark = pytest.mark.django_db

S = RecipientDeliveryStatus
SUPPRESSIONS = "/admin/post_office/suppression/"


@pytest.fixture(autouse=True)
def _message_ids(settings):
    # Events are matched to emails by Message-ID.
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MESSAGE_ID_ENABLED": True,
                            "BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend",
                                         "bulk": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def viewer(client_for):
    return client_for("view_email")


def event(email: Email, status: int, recipient: str | None = None, detail: str = "", raw: str = "") -> ESPEvent:
    return ESPEvent(raw_event=raw or S(status).label.lower(), delivery_status=status,
                    recipient=recipient or email.to[0], message_id=email.message_id, detail=detail)


def listed_ids(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


# --- the list: filter and badges ------------------------------------------------------------------
def test_delivery_status_filter_lists_emails_with_that_status_or_none_reported(make_email, viewer):
    clicked, bounced, silent = (make_email(recipients=[f"{n}@example.com"]) for n in ("c", "b", "s"))
    record_events([event(clicked, S.DELIVERED), event(clicked, S.CLICKED), event(bounced, S.HARD_BOUNCED)])
    url = admin_url("changelist")

    assert listed_ids(viewer.get(url, {"recipient_delivery_status": S.CLICKED})) == {clicked.pk}
    assert listed_ids(viewer.get(url, {"recipient_delivery_status": S.HARD_BOUNCED})) == {bounced.pk}
    assert listed_ids(viewer.get(url, {"recipient_delivery_status": S.DELIVERED})) == set()  # clicked won
    assert listed_ids(viewer.get(url, {"recipient_delivery_status": "none"})) == {silent.pk}
    page = viewer.get(url).content.decode()
    assert "None reported" in page and "Spam Complaint" in page  # the filter's choices


@pytest.mark.parametrize("value", ["abc", "999", "-1"])
def test_delivery_status_filter_with_a_bad_value_shows_an_empty_list_not_an_error(make_email, viewer, value):
    make_email()
    response = viewer.get(admin_url("changelist"), {"recipient_delivery_status": value})
    assert response.status_code == 200
    assert listed_ids(response) == set()


def test_list_badges_are_green_amber_or_red_by_delivery_status(make_email, viewer):
    cases = {S.CLICKED: "bg-green-100", S.DEFERRED: "bg-orange-100", S.SOFT_BOUNCED: "bg-orange-100",
             S.HARD_BOUNCED: "bg-red-100", S.SPAM_COMPLAINT: "bg-red-100", S.UNSUBSCRIBED: "bg-red-100"}
    for n, status in enumerate(cases):
        record_events([event(make_email(recipients=[f"r{n}@example.com"]), status)])
    html = viewer.get(admin_url("changelist")).content.decode()
    for status, colour in cases.items():
        [badge] = re.findall(rf'<span class="[^"]*" data-delivery-status="{status.value}">[^<]*</span>', html)
        assert colour in badge and str(S(status).label) in badge, badge


def test_list_queries_do_not_grow_with_emails_that_have_delivery_statuses(
        make_email, viewer, django_assert_max_num_queries):
    statuses = list(S)

    def add(count: int, start: int) -> None:
        emails = [make_email(recipients=[f"u{start + i}@example.com"]) for i in range(count)]
        record_events([event(email, statuses[i % len(statuses)]) for i, email in enumerate(emails)])

    add(5, 0)
    with CaptureQueriesContext(connection) as few:
        assert viewer.get(admin_url("changelist")).status_code == 200
    add(45, 5)
    with django_assert_max_num_queries(len(few)):
        response = viewer.get(admin_url("changelist"))
    assert len(response.context["cl"].result_list) == 50
    assert response.content.decode().count("data-delivery-status=") == 50


def test_log_list_colours_provider_events_like_the_email_list(make_email, client_for):
    record_events([event(make_email(), S.HARD_BOUNCED, detail="550 user unknown")], provider="ses")
    html = client_for("view_log").get("/admin/post_office/log/").content.decode()
    label = re.search(r'<span class="([^"]*)"[^>]*>\s*Hard Bounced\s*</span>', html)
    assert label and "bg-red-100" in label.group(1), html[-3000:]


# --- the detail page ---------------------------------------------------------------------------------
def test_detail_lists_each_recipients_events_and_best_status(make_email, viewer):
    email = make_email(recipients=["ann@example.com", "Bob <bob@example.com>"])
    record_events([
        event(email, S.DELIVERED, "ann@example.com", raw="delivery"),
        event(email, S.CLICKED, "ann@example.com", "https://example.org/track", raw="click"),
        event(email, S.DELIVERED, "ann@example.com", raw="delivery"),  # late: does not hide the click
        event(email, S.HARD_BOUNCED, "bob@example.com", "550 5.1.1 user unknown", raw="bounce"),
    ], provider="sparkpost")

    response = viewer.get(admin_url("change", email.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="po-tab-delivery"' in html and "Delivery events (4)" in html
    sections = {entry["recipient"]: entry for entry in response.context["po"]["delivery"]}
    assert {r: e["best"] for r, e in sections.items()} == {"ann@example.com": S.CLICKED,
                                                          "bob@example.com": S.HARD_BOUNCED}
    assert [e["status"] for e in sections["ann@example.com"]["events"]] == [S.DELIVERED, S.CLICKED, S.DELIVERED]
    ann = html[html.index('data-recipient="ann@example.com"'):html.index('data-recipient="bob@example.com"')]
    assert 'data-testid="po-recipient-status" data-delivery-status="40"' in ann
    assert "sparkpost click - https://example.org/track" in ann
    assert ann.count('data-testid="po-delivery-event"') == 3
    bob = html[html.index('data-recipient="bob@example.com"'):]
    assert "sparkpost bounce - 550 5.1.1 user unknown" in bob and "bg-red-100" in bob


def test_detail_without_events_says_none_were_reported(make_email, viewer):
    html = viewer.get(admin_url("change", make_email().pk)).content.decode()
    assert "Delivery events (0)" in html
    assert "No delivery events reported by the provider yet." in html


def test_provider_text_on_the_detail_page_is_escaped(make_email, viewer):
    email = make_email(recipients=["eve@example.com"])
    record_events([event(email, S.SOFT_BOUNCED, detail='<script>alert("x")</script><img src=x onerror=alert(1)>')])
    html = viewer.get(admin_url("change", email.pk)).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<script>alert("x")' not in html and "<img src=x" not in html


def test_detail_page_queries_do_not_grow_with_events(make_email, viewer):
    email = make_email(recipients=["ann@example.com"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert viewer.get(admin_url("change", email.pk)).status_code == 200
        return len(captured)

    record_events([event(email, S.DELIVERED)])
    one = queries()
    record_events([event(email, status, f"r{n}@example.com") for n, status in enumerate(list(S) * 5)])
    assert queries() == one


# --- dashboard ------------------------------------------------------------------------------------
def bounce_everywhere(make_email) -> None:
    default = [make_email(recipients=[f"d{n}@example.com"]) for n in range(3)]
    bulk = [make_email(recipients=[f"b{n}@example.com"], backend="bulk") for n in range(2)]
    record_events([event(default[0], S.HARD_BOUNCED), event(default[1], S.SOFT_BOUNCED),
                   event(default[2], S.SPAM_COMPLAINT), event(bulk[0], S.UNDETERMINED_BOUNCED),
                   event(bulk[1], S.DELIVERED)])
    old = make_email(recipients=["old@example.com"])
    record_events([event(old, S.HARD_BOUNCED)])
    Log.objects.filter(email=old).update(date=timezone.now() - timedelta(days=2))  # outside 24 h


def figure(html: str, name: str, scope: str = "") -> str:
    if scope:
        html = html[html.index(scope):]
    return re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html).group(1)


def test_dashboard_card_counts_bounces_and_complaints_of_the_last_day(make_email, client_for):
    bounce_everywhere(make_email)
    html = client_for("view_email").get("/admin/").content.decode()
    assert figure(html, "bounced_24h") == "3" and figure(html, "complained_24h") == "1"
    row = html[html.index('data-backend="bulk"'):]
    assert figure(row, "bounced_24h") == "1" and figure(row, "complained_24h") == "0"
    assert f"?recipient_delivery_status={S.HARD_BOUNCED.value}" in html


def test_dashboard_links_suppressions_only_for_users_who_may_view_them(make_email, client_for):
    bounce_everywhere(make_email)
    suppressions = "/admin/post_office/suppression/"
    assert suppressions not in client_for("view_email").get("/admin/").content.decode()
    assert suppressions in client_for("view_email", "view_suppression").get("/admin/").content.decode()


def test_backends_page_shows_bounces_and_complaints_per_backend(make_email, client_for):
    bounce_everywhere(make_email)
    html = client_for("view_email").get("/admin/post_office/deliverystat/").content.decode()
    assert figure(html, "bounced_24h", 'data-backend="default"') == "2"
    assert figure(html, "complained_24h", 'data-backend="default"') == "1"
    assert figure(html, "bounced_24h", 'data-backend="bulk"') == "1"
    assert figure(html, "complained_24h", 'data-backend="bulk"') == "0"


def test_bounce_counts_read_the_log_status_date_index_on_postgres(on_postgres, make_email):
    email = make_email()
    Log.objects.bulk_create(Log(email=email, status=STATUS.sent, message="ok") for _ in range(2000))
    record_events([event(email, S.HARD_BOUNCED)])
    with CaptureQueriesContext(connection) as captured:
        assert bounce_and_complaint_counts(since=timezone.now() - timedelta(days=1)) == {
            "default": {"bounced": 1, "complained": 0}}
    [query] = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE post_office_log")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "post_office_log_status_date" in plan, plan


# --- suppressions -----------------------------------------------------------------------------------
@pytest.fixture
def bounced(make_email):
    """Two addresses suppressed by provider events, one by staff."""
    gone, angry = make_email(recipients=["gone@example.com"]), make_email(recipients=["angry@example.com"])
    record_events([event(gone, S.HARD_BOUNCED, raw="bounce"), event(angry, S.SPAM_COMPLAINT, raw="spam_complaint")],
                  provider="sparkpost")
    suppress("Manual@Example.com", source="asked by phone")
    return {entry.address: entry for entry in Suppression.objects.all()}


@pytest.fixture
def lifter(client_for):
    return client_for("view_suppression", "delete_suppression")


def test_suppression_list_shows_address_reason_source_and_email_link(bounced, client_for):
    response = client_for("view_suppression").get(SUPPRESSIONS)
    html = response.content.decode()
    assert response.status_code == 200
    assert set(bounced) == {"gone@example.com", "angry@example.com", "manual@example.com"}
    assert "Hard bounce" in html and "Spam complaint" in html and "Added by staff" in html
    assert "sparkpost bounce" in html
    gone = bounced["gone@example.com"]
    assert f'href="{admin_url("change", gone.email_id)}"' in html
    assert "Add suppression" not in html


def test_suppression_search_by_address(bounced, client_for):
    response = client_for("view_suppression").get(SUPPRESSIONS, {"q": "gone@"})
    assert [entry.address for entry in response.context["cl"].result_list] == ["gone@example.com"]


def test_bulk_lift_confirms_then_lifts_reports_and_logs(bounced, lifter, make_staff):
    selection = [bounced["gone@example.com"].pk, bounced["angry@example.com"].pk]
    confirm = lifter.post(SUPPRESSIONS, {"action": "lift_selected", "_selected_action": selection, "index": "0"})
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "This will lift 2 suppressions." in page and "gone@example.com · Hard bounce" in page
    assert Suppression.objects.count() == 3  # nothing lifted before the confirmation

    done = lifter.post(SUPPRESSIONS, {"action": "lift_selected", "_selected_action": selection, "post": "yes"},
                       follow=True)
    assert "2 suppressions lifted: those addresses can be mailed again." in done.content.decode()
    assert list(Suppression.objects.values_list("address", flat=True)) == ["manual@example.com"]
    entries = LogEntry.objects.filter(action_flag=DELETION, change_message="Suppression lifted")
    assert sorted(entries.values_list("object_repr", flat=True)) == ["angry@example.com", "gone@example.com"]


def test_detail_button_confirms_on_get_and_lifts_on_post(bounced, lifter):
    entry = bounced["gone@example.com"]
    detail = lifter.get(f"{SUPPRESSIONS}{entry.pk}/change/").content.decode()
    lift_url = f"{SUPPRESSIONS}{entry.pk}/lift/"
    assert f'href="{lift_url}"' in detail
    confirm = lifter.get(lift_url)
    assert confirm.status_code == 200 and "This will lift 1 suppression." in confirm.content.decode()
    assert Suppression.objects.filter(pk=entry.pk).exists()

    response = lifter.post(lift_url, follow=True)
    assert response.redirect_chain[-1][0] == SUPPRESSIONS
    assert "1 suppression lifted" in response.content.decode()
    assert not Suppression.objects.filter(address="gone@example.com").exists()
    assert LogEntry.objects.filter(object_id=str(entry.pk), action_flag=DELETION).count() == 1


def test_lifting_without_the_delete_permission_is_refused_with_403(bounced, client_for):
    viewer = client_for("view_suppression")
    entry = bounced["gone@example.com"]
    assert "Lift suppression" not in viewer.get(f"{SUPPRESSIONS}{entry.pk}/change/").content.decode()
    assert viewer.get(f"{SUPPRESSIONS}{entry.pk}/lift/").status_code == 403
    assert viewer.post(f"{SUPPRESSIONS}{entry.pk}/lift/").status_code == 403
    bulk = viewer.post(SUPPRESSIONS, {"action": "lift_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code == 403
    assert Suppression.objects.count() == 3 and not LogEntry.objects.exists()


def test_delete_permission_alone_neither_shows_nor_lifts(bounced, client_for):
    client = client_for("delete_suppression")
    entry = bounced["gone@example.com"]
    assert client.get(SUPPRESSIONS).status_code == 403
    assert client.post(f"{SUPPRESSIONS}{entry.pk}/lift/").status_code == 403
    assert Suppression.objects.count() == 3


def test_django_delete_is_not_offered_lifting_is_the_way(bounced, lifter):
    entry = bounced["gone@example.com"]
    assert lifter.post(f"{SUPPRESSIONS}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    page = lifter.get(SUPPRESSIONS).content.decode()
    assert 'value="delete_selected"' not in page and 'value="lift_selected"' in page
    assert Suppression.objects.filter(pk=entry.pk).exists()


def test_lift_without_a_csrf_token_is_refused(bounced, client_for):
    client = client_for("view_suppression", "delete_suppression", enforce_csrf_checks=True)
    entry = bounced["gone@example.com"]
    assert client.post(f"{SUPPRESSIONS}{entry.pk}/lift/").status_code == 403
    bulk = client.post(SUPPRESSIONS, {"action": "lift_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code == 403
    assert Suppression.objects.count() == 3


def test_lifted_address_is_mailed_again_when_suppression_is_on(bounced, lifter, settings):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "SUPPRESS_BOUNCED": True}
    refused = mail.send(["gone@example.com"], "shop@example.com", subject="Again", message="m")
    mail.send_queued()
    assert Email.objects.get(pk=refused.pk).status == STATUS.failed and not django_mail.outbox

    lifter.post(f"{SUPPRESSIONS}{bounced['gone@example.com'].pk}/lift/")
    mail.send(["gone@example.com"], "shop@example.com", subject="Again", message="m")
    mail.send_queued()
    assert [message.to for message in django_mail.outbox] == [["gone@example.com"]]
