"""Send a template to a few people as a real, recorded email (the studio's "send a test")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import mail
from ..models import Email, EmailTemplate


def send_test(template: EmailTemplate, recipients: Sequence[str], language: str = "",
              context: dict[str, Any] | None = None, backend: str = "", sender: str | None = None) -> Email:
    """Deliver ``template`` in ``language`` with ``context`` now, through ``backend``.

    Goes through :func:`post_office.mail.send` with priority ``now``: the test is an Email row with
    its Log like any other, and it fails or succeeds exactly as production mail would.
    Raises :class:`~post_office.errors.InvalidEmailError` naming the bad argument.
    """
    return mail.send(recipients=list(recipients), sender=sender, template=template, language=language,
                     context=context or {}, backend=backend, priority="now")
