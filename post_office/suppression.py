"""The suppression list: addresses that hard-bounced or complained.

Provider events add to it (:mod:`post_office.events`) whatever the settings say, so turning
``POST_OFFICE['SUPPRESS_BOUNCED']`` on later takes the past into account. Only with the setting
on does the dispatcher consult it: once per batch (:func:`refused`, one query), failing each email
with a suppressed To/Cc/Bcc address with a :class:`~post_office.errors.SuppressedRecipientError`
that the Log shows. The whole email fails rather than being sent to the other recipients: sending
a different message than the one queued would be a surprise. Staff lift a suppression with
:func:`lift_suppression`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .conf import post_office_settings
from .errors import SuppressedRecipientError
from .events import bare_address
from .models import Email, Suppression


def suppressed(addresses: Iterable[str]) -> set[str]:
    """The addresses (bare, lower-cased) of ``addresses`` that are suppressed: one query."""
    return set(_lookup(addresses))


def refused(emails: Sequence[Email]) -> dict[int, SuppressedRecipientError]:
    """Email pk -> the error to fail it with, for emails with a suppressed recipient.

    Empty, without a query, when ``SUPPRESS_BOUNCED`` is off. One query per call otherwise: the
    dispatcher calls it once per claimed batch.
    """
    if not emails or not post_office_settings.suppress_bounced:
        return {}
    recipients = {email.pk: _recipients(email) for email in emails}
    found = _lookup(address for addresses in recipients.values() for address in addresses)
    errors: dict[int, SuppressedRecipientError] = {}
    for pk, addresses in recipients.items():
        blocked = [address for address in addresses if address in found]
        if blocked:
            reasons = "; ".join(f"{address} ({found[address]})" for address in blocked)
            errors[pk] = SuppressedRecipientError(
                blocked,
                f"Not sent: suppressed recipient {reasons}. Lift the suppression to send to it again "
                "(POST_OFFICE['SUPPRESS_BOUNCED'] is on).",
            )
    return errors


def suppress(address: str, reason: str = Suppression.Reason.MANUAL, source: str = "",
             email: Email | None = None) -> Suppression:
    """Put ``address`` on the list (staff, or a project's own signal); keeps an existing entry."""
    bare = bare_address(address)
    if not bare:
        raise ValueError(f"address: {address!r} is not an email address.")
    entry, _created = Suppression.objects.get_or_create(
        address=bare, defaults={"reason": reason, "source": source[:255], "email": email}
    )
    return entry


def lift_suppression(address: str) -> bool:
    """Take ``address`` off the list so it can be mailed again; False if it was not on it."""
    deleted, _by_model = Suppression.objects.filter(address=bare_address(address)).delete()
    return bool(deleted)


def _recipients(email: Email) -> list[str]:
    seen: dict[str, None] = {}
    for value in [*(email.to or []), *(email.cc or []), *(email.bcc or [])]:
        bare = bare_address(value)
        if bare:
            seen.setdefault(bare, None)
    return list(seen)


def _lookup(addresses: Iterable[str]) -> dict[str, str]:
    """Suppressed address -> 'reason, since <date>, <source>'."""
    wanted = {bare_address(address) for address in addresses} - {""}
    if not wanted:
        return {}
    rows = Suppression.objects.filter(address__in=wanted).values_list("address", "reason", "created", "source")
    labels = dict(Suppression.Reason.choices)
    return {
        address: ", ".join(part for part in (
            str(labels.get(reason, reason)), f"since {created:%Y-%m-%d}", source
        ) if part)
        for address, reason, created, source in rows
    }
