"""``email_queued``: sent once per ``send()`` / ``send_many()`` with ``emails=[...]``."""

from django.dispatch import Signal

email_queued = Signal()
