"""Load (or reload) all demo data. Idempotent: a second run finds the demo emails and adds none."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from post_office.models import Attachment, Email

from . import emails as make
from .history import apply_history
from .templates import load_templates


@dataclass
class LoadResult:
    templates: int
    created: int
    statuses: Counter = field(default_factory=Counter)


def demo_emails():
    return Email.objects.filter(headers__has_key=make.DEMO_HEADER)


def reset() -> int:
    """Delete the demo emails (and attachments no email uses any more, with their files)."""
    deleted = demo_emails().count()
    demo_emails().delete()
    for attachment in Attachment.objects.filter(emails__isnull=True):
        attachment.file.delete(save=False)
        attachment.delete()
    return deleted


def load(seed: int = 2024) -> LoadResult:
    """Templates are always brought up to date; emails are created only if none exist yet."""
    rng = random.Random(seed)
    templates = load_templates()
    template_rows = sum(1 + t.translated_templates.count() for t in templates.values())
    if demo_emails().exists():
        return LoadResult(templates=template_rows, created=0)
    with transaction.atomic():
        queued = (make.transactional(rng, 240) + make.orders_with_attachments(rng, 24)
                  + make.newsletters(rng, 36) + make.through_django(rng, 12))
        statuses = apply_history(queued, rng)
    # Outside the transaction: delivered inline by the real backend, keeping their real dates.
    delivered = make.delivered_now(rng, 3)
    return LoadResult(templates=template_rows, created=len(queued) + len(delivered), statuses=statuses)
