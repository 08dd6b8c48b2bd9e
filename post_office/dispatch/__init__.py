"""The dispatcher: claim a batch in the database, deliver it, record the outcome.

Any number of dispatchers (processes, hosts, Celery workers) may run at once: a claim is a
conditional UPDATE stamping a lease token and expiry, so no email is held by two live claims, and
a dead dispatcher's emails return to the queue when its lease expires.
"""

from .engine import deliver_now, send_queued, send_queued_until_done

__all__ = ["deliver_now", "send_queued", "send_queued_until_done"]
