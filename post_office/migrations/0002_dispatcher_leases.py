"""Ours, after django-post_office 3.12's schema: dispatcher leases, queue indexes, permissions."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("post_office", "0001_squashed_0014_alter_email_recipient_delivery_status_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="email",
            name="lease_token",
            field=models.CharField(blank=True, default="", editable=False, max_length=32, verbose_name="Lease token"),
        ),
        migrations.AddField(
            model_name="email",
            name="lease_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="Lease expires at"),
        ),
        migrations.AddIndex(
            model_name="email",
            index=models.Index(condition=models.Q(("status__in", [2, 3])), fields=["-priority", "id"], name="post_office_email_queue"),
        ),
        migrations.AddIndex(
            model_name="email",
            index=models.Index(fields=["message_id"], name="post_office_email_msgid"),
        ),
        migrations.AlterModelOptions(
            name="email",
            options={
                "permissions": [
                    ("requeue_email", "Can requeue emails"),
                    ("resend_email", "Can resend emails"),
                    ("cancel_email", "Can cancel queued emails"),
                ],
                "verbose_name": "Email",
                "verbose_name_plural": "Emails",
            },
        ),
    ]
