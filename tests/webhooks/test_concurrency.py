"""Two webhook requests recording opposite orders of statuses for the same emails at the same
time, on PostgreSQL: neither deadlocks, and the strongest status wins for every email.

2,000 emails per half: large enough that, without the recording path's ordered locks, the two
transactions deadlock (checked by removing them), small enough to run in seconds."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from post_office.events import ESPEvent, record_events
from post_office.models import Email, Log, RecipientDeliveryStatus

S = RecipientDeliveryStatus


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_with_crossed_statuses_end_with_the_best_status(on_postgres):
    emails = Email.objects.bulk_create(
        Email(to=[f"r{i}@example.com"], from_email="shop@example.org", status=0, message_id=f"<c{i}@mail>")
        for i in range(4000)
    )
    low, high = emails[:2000], emails[2000:]

    def events(first, second):
        # Opens for one half, then clicks for the other: the two threads lock the halves in
        # opposite orders unless the recording path orders its locks.
        return ([ESPEvent("open", S.OPENED, e.to[0], e.message_id) for e in first]
                + [ESPEvent("click", S.CLICKED, e.to[0], e.message_id) for e in second])

    batches = [events(low, high), events(high, low)]
    barrier, errors = threading.Barrier(2), []

    def run(batch):
        try:
            barrier.wait(timeout=10)
            record_events(batch, provider="test")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    for _round in range(2):
        threads = [threading.Thread(target=run, args=(batch,)) for batch in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []

    assert set(Email.objects.values_list("recipient_delivery_status", flat=True)) == {S.CLICKED}
    assert Log.objects.count() == 2 * 2 * 4000
