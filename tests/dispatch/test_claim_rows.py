"""A claim returns its rows from the UPDATE itself: the emails it builds must be the ones the ORM
would load, in the order SENDING_ORDER gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from post_office.dispatch.claim import HAS_ATTACHMENTS, claim_batch, new_lease_token, sending_order
from post_office.models import PRIORITY, STATUS, Attachment, Email, EmailTemplate

pytestmark = pytest.mark.django_db(transaction=True)


def _mixed_emails(n: int) -> list[int]:
    """Emails that differ in every column a claim converts: lists, JSON, dates, NULLs."""
    rnd = random.Random(7)
    now = timezone.now()
    template = EmailTemplate.objects.create(name="t", subject="Hi {{ name }}", content="x")
    emails = []
    for i in range(n):
        emails.append(Email(
            from_email=f'"Sender, {i}" <s{i}@example.com>',
            to=[f"u{i}@example.com", f'"Doe, J" <j{i}@example.com>'][: rnd.randint(1, 2)],
            cc=[f"cc{i}@example.com"] if i % 3 == 0 else [], bcc=[],
            subject=f"Subject {i} é", message=f"Body {i}", html_message=f"<p>{i}</p>" if i % 2 else "",
            status=rnd.choice([STATUS.queued, STATUS.requeued]),
            priority=rnd.choice([PRIORITY.low, PRIORITY.medium, PRIORITY.high, None]),
            scheduled_time=now - timedelta(minutes=rnd.randint(0, 50)) if i % 4 else None,
            expires_at=now + timedelta(days=1) if i % 5 == 0 else None,
            number_of_retries=rnd.choice([None, 0, 2]),
            headers={"X-Index": str(i), "Reply-To": "r@example.com"} if i % 2 else None,
            template=template if i % 6 == 0 else None,
            context={"name": f"n{i}", "list": [1, 2]} if i % 6 == 0 else None,
            backend_alias=rnd.choice(["", "other"]), message_id=f"<{i}@claim.test>",
        ))
    Email.objects.bulk_create(emails)
    ids = list(Email.objects.order_by("id").values_list("id", flat=True))
    for pk in ids:  # creation times in another order than ids, so ordering by one is not the other
        Email.objects.filter(pk=pk).update(created=now - timedelta(seconds=rnd.randint(0, 10_000)))
    attachment = Attachment(name="a.txt")
    attachment.file.save("a.txt", ContentFile(b"a"), save=True)
    attachment.emails.add(*ids[::7])
    return ids


def test_claimed_emails_equal_what_the_orm_loads():
    ids = _mixed_emails(60)
    token = new_lease_token()

    claimed = claim_batch(token, 100)

    assert sorted(e.pk for e in claimed) == ids
    loaded = {e.pk: e for e in Email.objects.filter(pk__in=ids).select_related("template")}
    with_attachments = set(Attachment.emails.through.objects.values_list("email_id", flat=True))
    for email in claimed:
        expected = loaded[email.pk]
        for field in Email._meta.concrete_fields:
            assert getattr(email, field.attname) == getattr(expected, field.attname), (email.pk, field.name)
        assert email._state.adding is False and email._state.db == connection.alias
        assert getattr(email, HAS_ATTACHMENTS) == (email.pk in with_attachments)
        if email.template_id:  # loaded with the batch, as select_related did
            assert Email.template.field.is_cached(email) and email.template.name == "t"
    assert all(isinstance(e.to, list) for e in claimed)
    assert {e.lease_token for e in claimed} == {token}


def test_templates_and_attachments_cost_one_query_each_and_only_when_present(queue_emails):
    queue_emails(20)
    with CaptureQueriesContext(connection) as plain:
        assert len(claim_batch(new_lease_token(), 100)) == 20
    _mixed_emails(20)  # some with a template, some with an attachment
    with CaptureQueriesContext(connection) as mixed:
        batch = claim_batch(new_lease_token(), 100)
        for email in batch:  # what delivery reads: no query more
            email.template if email.template_id else None  # noqa: B018
            list(email.attachments.all()) if getattr(email, HAS_ATTACHMENTS) else None

    def statements(queries):
        return [q["sql"] for q in queries.captured_queries
                if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]

    # MySQL has no UPDATE ... RETURNING: it selects, stamps and reads back (templates joined).
    claim = 3 if connection.vendor == "mysql" else 1
    assert len(statements(plain)) == claim, statements(plain)
    assert len(batch) == 20
    assert len(statements(mixed)) == claim + (1 if connection.vendor == "mysql" else 2), statements(mixed)


@pytest.mark.parametrize("order", [
    ["-priority"], ["priority"], ["created"], ["-scheduled_time", "-id"], ["-priority", "scheduled_time"],
    ["subject"],  # text: collations differ from Python's order, so the database orders it
    ["template__name", "-id"],  # a relation's field: the database orders it
])
def test_a_claimed_batch_comes_in_sending_order(settings, order):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "SENDING_ORDER": order}
    ids = _mixed_emails(60)
    expected = list(Email.objects.filter(pk__in=ids).order_by(*sending_order()).values_list("pk", flat=True))

    claimed = [e.pk for e in claim_batch(new_lease_token(), 100)]

    assert claimed == expected


def test_claims_read_back_through_the_orm_when_a_column_is_not_read_as_is(monkeypatch):
    """A custom CONTEXT_FIELD_CLASS (say, an encrypted field) may select its column through its
    own SQL: the claim then returns ids and reads the emails back through the ORM."""
    from post_office.dispatch import claim

    ids = _mixed_emails(30)
    monkeypatch.setattr(claim, "_columns_read_as_is", lambda: False)
    token = new_lease_token()

    with CaptureQueriesContext(connection) as queries:
        claimed = claim_batch(token, 100)

    assert [e.pk for e in claimed] == list(
        Email.objects.filter(pk__in=ids).order_by(*sending_order()).values_list("pk", flat=True))
    assert any(q["sql"].startswith("SELECT") and "post_office_emailtemplate" in q["sql"]
               for q in queries.captured_queries)  # the read back, templates joined
    assert {e.lease_token for e in claimed} == {token}


def test_init_receivers_see_every_claimed_email():
    """With a post_init receiver connected, claimed emails are built through Model.__init__."""
    from django.db.models.signals import post_init

    _mixed_emails(10)
    seen: list[int] = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Email)
    try:
        claimed = claim_batch(new_lease_token(), 100)
    finally:
        post_init.disconnect(receiver, sender=Email)

    assert sorted(seen) == sorted(e.pk for e in claimed) and len(claimed) == 10


def test_claimed_datetimes_without_time_zone_support(settings):
    settings.USE_TZ = False
    _mixed_emails(20)

    claimed = {e.pk: e for e in claim_batch(new_lease_token(), 100)}

    assert len(claimed) == 20
    for expected in Email.objects.filter(pk__in=claimed):
        for name in ("created", "scheduled_time", "expires_at", "lease_expires_at"):
            assert getattr(claimed[expected.pk], name) == getattr(expected, name), name
    assert all(e.created.tzinfo is None for e in claimed.values())


def test_emails_that_only_name_their_template_cost_no_template_query(queue_emails):
    """send(template=...) renders at once and stores no context: delivery never reads the template."""
    template = EmailTemplate.objects.create(name="stored", subject="s", content="c")
    queue_emails(10, template=template)  # context None: sent from the stored subject and bodies

    with CaptureQueriesContext(connection) as queries:
        claimed = claim_batch(new_lease_token(), 100)

    assert len(claimed) == 10
    # (MySQL's read back joins the template table into its one SELECT: no query of its own.)
    table = f"FROM {connection.ops.quote_name('post_office_emailtemplate')}"
    assert not any(table in q["sql"] for q in queries.captured_queries)


def test_an_email_deleted_between_claim_and_database_ordering_is_left_out(settings, monkeypatch):
    from post_office.dispatch import claim

    settings.POST_OFFICE = {**settings.POST_OFFICE, "SENDING_ORDER": ["subject"]}  # ordered by the database
    ids = _mixed_emails(10)
    name = "_stamp_returning" if claim._can_update_returning() else "_stamp_then_reread"  # MySQL
    stamp = getattr(claim, name)

    def stamp_then_delete_one(*args, **kwargs):
        rows = stamp(*args, **kwargs)
        Email.objects.filter(pk=ids[3]).delete()  # an operator deletes it meanwhile
        return rows

    monkeypatch.setattr(claim, name, stamp_then_delete_one)
    claimed = [e.pk for e in claim_batch(new_lease_token(), 100)]

    assert sorted(claimed) == sorted(set(ids) - {ids[3]})


def test_an_unknown_field_class_is_not_read_as_is(monkeypatch):
    from django.db.models import JSONField

    from post_office.dispatch import claim

    assert claim._columns_read_as_is()  # the stock Email
    monkeypatch.setattr(claim, "_READ_AS_IS", tuple(c for c in claim._READ_AS_IS if c is not JSONField))
    assert not claim._columns_read_as_is()  # as with a custom CONTEXT_FIELD_CLASS
