"""Email, EmailTemplate, Log and Attachment: the tables and field names of django-post_office 3.12."""

from __future__ import annotations

import logging
import os
import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .conf import post_office_settings
from .fields import CommaSeparatedEmailField
from .validators import validate_email_with_name, validate_template_syntax


class STATUS(models.IntegerChoices):
    sent = 0, _("sent")
    failed = 1, _("failed")
    queued = 2, _("queued")
    requeued = 3, _("requeued")


class PRIORITY(models.IntegerChoices):
    low = 0, _("low")
    medium = 1, _("medium")
    high = 2, _("high")
    now = 3, _("now")


class RecipientDeliveryStatus(models.IntegerChoices):
    """What the provider reported after delivery; a higher rank in webhooks wins (see webhooks)."""

    ACCEPTED = 10, _("Accepted")
    DELIVERED = 20, _("Delivered")
    OPENED = 30, _("Opened")
    CLICKED = 40, _("Clicked")
    DEFERRED = 50, _("Deferred")
    SOFT_BOUNCED = 60, _("Soft Bounced")
    UNDETERMINED_BOUNCED = 65, _("Undetermined Bounced")
    HARD_BOUNCED = 70, _("Hard Bounced")
    SPAM_COMPLAINT = 80, _("Spam Complaint")
    UNSUBSCRIBED = 90, _("Unsubscribed")


logger = logging.getLogger("post_office")

QUEUED_STATUSES = (STATUS.queued, STATUS.requeued)
# The condition of the console's trigram search indexes on PostgreSQL (migration 0010).
SETTLED_STATUSES = (STATUS.sent, STATUS.failed)


def _context_field_class() -> type[models.Field]:
    # Model fields are built at import: this is the one setting read then, by necessity.
    return import_string(post_office_settings.context_field_class)


class EmailQuerySet(models.QuerySet):
    def queued(self) -> EmailQuerySet:
        return self.filter(status__in=QUEUED_STATUSES)

    def due(self, now: datetime | None = None) -> EmailQuerySet:
        """Queued, scheduled for now or earlier, and not expired."""
        now = now or timezone.now()
        return (
            self.queued()
            .filter(Q(scheduled_time__isnull=True) | Q(scheduled_time__lte=now))
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        )

    def claimable(self, now: datetime | None = None) -> EmailQuerySet:
        """Due and not held by a live claim (no lease, or an expired one)."""
        now = now or timezone.now()
        return self.due(now).filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))

    def lease_expired(self, now: datetime | None = None) -> EmailQuerySet:
        now = now or timezone.now()
        return self.queued().filter(lease_expires_at__lt=now)

    def scheduled(self, now: datetime | None = None) -> EmailQuerySet:
        return self.queued().filter(scheduled_time__gt=now or timezone.now())


class Email(models.Model):
    """One message to deliver: its envelope, content (or template + context) and delivery state."""

    from_email = models.CharField(_("Email From"), max_length=254, validators=[validate_email_with_name])
    to = CommaSeparatedEmailField(_("Email To"))
    cc = CommaSeparatedEmailField(_("Cc"))
    bcc = CommaSeparatedEmailField(_("Bcc"))
    subject = models.CharField(_("Subject"), max_length=989, blank=True)
    message = models.TextField(_("Message"), blank=True)
    html_message = models.TextField(_("HTML Message"), blank=True)
    status = models.PositiveSmallIntegerField(
        _("Status"), choices=STATUS.choices, db_index=True, blank=True, null=True
    )
    recipient_delivery_status = models.PositiveSmallIntegerField(
        _("Recipient Delivery Status"), choices=RecipientDeliveryStatus.choices, blank=True, null=True
    )
    priority = models.PositiveSmallIntegerField(_("Priority"), choices=PRIORITY.choices, blank=True, null=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    last_updated = models.DateTimeField(db_index=True, auto_now=True)
    scheduled_time = models.DateTimeField(
        _("Scheduled Time"), blank=True, null=True, db_index=True, help_text=_("The scheduled sending time")
    )
    expires_at = models.DateTimeField(
        _("Expires"), blank=True, null=True, help_text=_("Email won't be sent after this timestamp")
    )
    message_id = models.CharField("Message-ID", null=True, max_length=255, editable=False)
    number_of_retries = models.PositiveIntegerField(null=True, blank=True)
    headers = models.JSONField(_("Headers"), blank=True, null=True)
    template = models.ForeignKey(
        "post_office.EmailTemplate", blank=True, null=True, verbose_name=_("Email template"),
        on_delete=models.CASCADE,
    )
    context = _context_field_class()(_("Context"), blank=True, null=True)
    backend_alias = models.CharField(_("Backend alias"), blank=True, default="", max_length=64)
    # A dispatcher's claim: which batch holds the email and until when (see post_office.dispatch).
    lease_token = models.CharField(_("Lease token"), max_length=32, blank=True, default="", editable=False)
    lease_expires_at = models.DateTimeField(_("Lease expires at"), blank=True, null=True, editable=False)

    objects = EmailQuerySet.as_manager()

    class Meta:
        app_label = "post_office"
        verbose_name = pgettext_lazy("email message", "Email")
        verbose_name_plural = _("Emails")
        indexes = [
            models.Index(
                fields=["-priority", "id"], condition=Q(status__in=[2, 3]), name="post_office_email_queue"
            ),
            models.Index(fields=["message_id"], name="post_office_email_msgid"),
            models.Index(fields=["status", "-priority", "id"], name="post_office_email_claim"),  # SQLite's claim
        ]
        permissions = [
            ("requeue_email", _("Can requeue emails")),
            ("resend_email", _("Can resend emails")),
            ("cancel_email", _("Can cancel queued emails")),
        ]

    def __str__(self) -> str:
        return ", ".join(self.to)

    # --- the message ---------------------------------------------------------------------------
    def email_message(self):
        """The Django ``EmailMessage`` this row delivers (rendered from its template if needed)."""
        from .rendering.message import build_message

        return build_message(self)

    prepare_email_message = email_message

    def dispatch(self, log_level: int | None = None, disconnect_after_delivery: bool = True,
                 commit: bool = True, connection=None) -> int:
        """Deliver this one email now and record the outcome; returns its new status."""
        from .dispatch.engine import deliver_now

        return deliver_now(self, log_level=log_level, connection=connection, commit=commit)

    def clean(self) -> None:
        if self.scheduled_time and self.expires_at and self.scheduled_time > self.expires_at:
            raise ValidationError(_("The scheduled time may not be later than the expires time."))


class Log(models.Model):
    """One delivery attempt, or one provider event, for an email."""

    STATUS_CHOICES = [(STATUS.sent, _("sent")), (STATUS.failed, _("failed"))] + list(
        RecipientDeliveryStatus.choices
    )

    email = models.ForeignKey(
        Email, editable=False, related_name="logs", verbose_name=_("Email address"), on_delete=models.CASCADE
    )
    date = models.DateTimeField(auto_now_add=True)
    status = models.PositiveSmallIntegerField(_("Status"), choices=STATUS_CHOICES)
    exception_type = models.CharField(_("Exception type"), max_length=255, blank=True)
    message = models.TextField(_("Message"))

    class Meta:
        app_label = "post_office"
        verbose_name = _("Log")
        verbose_name_plural = _("Logs")

    def __str__(self) -> str:
        return str(self.date)


class EmailTemplateManager(models.Manager):
    def get_by_natural_key(self, name: str, language: str, default_template) -> EmailTemplate:
        return self.get(name=name, language=language, default_template=default_template)


class EmailTemplate(models.Model):
    """A named subject/text/HTML template; translations hang off ``default_template``."""

    name = models.CharField(_("Name"), max_length=255, help_text=_("e.g: 'welcome_email'"))
    description = models.TextField(_("Description"), blank=True, help_text=_("Description of this template."))
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)
    subject = models.CharField(
        max_length=255, blank=True, verbose_name=_("Subject"), validators=[validate_template_syntax]
    )
    content = models.TextField(blank=True, verbose_name=_("Content"), validators=[validate_template_syntax])
    html_content = models.TextField(
        blank=True, verbose_name=_("HTML content"), validators=[validate_template_syntax]
    )
    language = models.CharField(
        max_length=12, verbose_name=_("Language"), help_text=_("Render template in alternative language"),
        default="", blank=True,
    )
    default_template = models.ForeignKey(
        "self", related_name="translated_templates", null=True, default=None,
        verbose_name=_("Default template"), on_delete=models.CASCADE,
    )
    # The template studio's preview data (post_office.templates_service); never used for delivery.
    sample_context = models.JSONField(_("Sample context"), blank=True, null=True)

    objects = EmailTemplateManager()

    class Meta:
        app_label = "post_office"
        unique_together = ("name", "language", "default_template")
        verbose_name = _("Email Template")
        verbose_name_plural = _("Email Templates")
        ordering = ["name"]
        permissions = [
            ("import_emailtemplate", _("Can import email templates")),
            ("send_test_emailtemplate", _("Can send a test of an email template")),
            ("restore_emailtemplate", _("Can restore an earlier version of an email template")),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.language}".strip()

    def save(self, *args, **kwargs):
        # Translations share their default's name: lookups and the cache key on (name, language).
        if self.default_template_id and not self.name:
            self.name = self.default_template.name
        super().save(*args, **kwargs)
        from .cache import invalidate_template

        old_name = getattr(self, "_loaded_name", None)
        if old_name and old_name != self.name:
            if self.default_template_id is None:
                self.translated_templates.update(name=self.name)  # a rename renames the family
            invalidate_template(old_name)
        self._loaded_name = self.name
        invalidate_template(self.name)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        from .cache import invalidate_template

        invalidate_template(self.name)
        return result

    def natural_key(self) -> tuple:
        return (self.name, self.language, self.default_template)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_name = instance.__dict__.get("name")  # to notice a rename on save
        return instance


def get_upload_path(instance: Attachment, filename: str) -> str:
    """``post_office_attachments/YYYY/MM/DD/<random>/<original name>``: no collisions, no guessing."""
    if not instance.name:
        instance.name = filename
    day = timezone.now().strftime("%Y/%m/%d")
    return os.path.join("post_office_attachments", day, uuid.uuid4().hex, os.path.basename(filename))


def get_file_storage():
    from .settings import get_file_storage as storage

    return storage()


class Attachment(models.Model):
    """A file attached to one or more emails (shared by every email of a ``send_many``)."""

    file = models.FileField(_("File"), upload_to=get_upload_path, storage=get_file_storage)
    name = models.CharField(_("Name"), max_length=255, help_text=_("The original filename"))
    emails = models.ManyToManyField(Email, related_name="attachments", verbose_name=_("Emails"))
    mimetype = models.CharField(max_length=255, default="", blank=True)
    headers = models.JSONField(_("Headers"), blank=True, null=True)

    class Meta:
        app_label = "post_office"
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachments")

    def __str__(self) -> str:
        return self.name



class Suppression(models.Model):
    """An address that hard-bounced or complained: with ``SUPPRESS_BOUNCED`` on, emails to it fail
    at delivery instead of being sent (see :mod:`post_office.suppression`)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        MANUAL = "manual", _("Added by staff")

    # Stored lower-cased: providers and mailbox hosts treat addresses case-insensitively.
    address = models.EmailField(_("Address"), max_length=254, unique=True)
    reason = models.CharField(_("Reason"), max_length=20, choices=Reason.choices)
    created = models.DateTimeField(_("Created"), auto_now_add=True, db_index=True)
    source = models.CharField(
        _("Source event"), max_length=255, blank=True, default="",
        help_text=_("The provider event that caused it, e.g. 'sparkpost bounce (class 10)'."),
    )
    email = models.ForeignKey(
        Email, blank=True, null=True, related_name="+", verbose_name=pgettext_lazy("email message", "Email"),
        on_delete=models.SET_NULL,
        help_text=_("The email whose bounce or complaint added the address."),
    )

    class Meta:
        app_label = "post_office"
        verbose_name = _("Suppression")
        verbose_name_plural = _("Suppressions")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.address


class EmailTemplateVersion(models.Model):
    """One saved state of a template family (the default and all its translations).

    Keyed by the family's name rather than a foreign key, so history outlives a delete and
    re-import of the template (see post_office.templates_service.history).
    """

    template_name = models.CharField(_("Template name"), max_length=255, db_index=True)
    number = models.PositiveIntegerField(_("Version"))
    snapshot = models.JSONField(_("Snapshot"))
    created = models.DateTimeField(_("Saved at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, blank=True, null=True, related_name="+", verbose_name=_("Saved by"),
        on_delete=models.SET_NULL,
    )
    comment = models.CharField(_("Comment"), max_length=255, blank=True, default="")

    class Meta:
        app_label = "post_office"
        verbose_name = _("Email template version")
        verbose_name_plural = _("Email template versions")
        ordering = ["template_name", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template_name", "number"], name="post_office_template_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template_name} v{self.number}"


class DeliveryStat(models.Model):
    """Per-minute, per-backend delivery counters, incremented by the dispatcher in the same
    transaction as the batch's outcome (see :mod:`post_office.stats.rollup`).

    The dashboard, ``post_office_stats`` and the metrics view read these rows instead of scanning
    the emails table. ``latency_ms`` is the sum, over the minute's sent emails, of the time from
    when each became due (created, or its scheduled/retry time) to when it was recorded sent.
    """

    bucket = models.DateTimeField(_("Minute"), db_index=True)
    backend_alias = models.CharField(_("Backend alias"), max_length=64)
    sent = models.PositiveIntegerField(_("Sent"), default=0)
    failed = models.PositiveIntegerField(_("Failed"), default=0)
    retried = models.PositiveIntegerField(_("Retried"), default=0, help_text=_("Failed, queued again to retry."))
    requeued = models.PositiveIntegerField(_("Requeued"), default=0, help_text=_("Requeued by an operator."))
    latency_ms = models.BigIntegerField(_("Total latency (ms)"), default=0)
    last_sent_at = models.DateTimeField(_("Last sent at"), blank=True, null=True)
    last_failed_at = models.DateTimeField(_("Last failure at"), blank=True, null=True)
    last_error = models.CharField(_("Last error"), max_length=255, blank=True, default="")

    class Meta:
        app_label = "post_office"
        verbose_name = _("Delivery statistic")
        verbose_name_plural = _("Delivery statistics")
        permissions = [("test_backend_connection", _("Can test backend connections"))]
        constraints = [
            # (alias, bucket): the unique index also answers "this backend's latest minutes".
            models.UniqueConstraint(fields=["backend_alias", "bucket"], name="post_office_deliverystat_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.backend_alias} {self.bucket:%Y-%m-%d %H:%M}"
