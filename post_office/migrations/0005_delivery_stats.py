"""Per-minute delivery counters for the dashboard, and the indexes its other figures need:

- Log (status, date): "top failure reasons" and bounce counts of the last 24 hours;
- queued emails by scheduled_time: "scheduled for later" and the oldest due retry/scheduled email;
- queued, unscheduled emails by id: the oldest due email, however many are scheduled ahead of it.

The indexes live in the database only (not in the models' state): Email's and Log's Meta stay as
the dispatcher and django-post_office 3.12 define them; these serve the statistics alone. The
partial ones are small (queued rows only) and are skipped where partial indexes are unsupported.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("post_office", "0004_suppression"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeliveryStat",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bucket", models.DateTimeField(db_index=True, verbose_name="Minute")),
                ("backend_alias", models.CharField(max_length=64, verbose_name="Backend alias")),
                ("sent", models.PositiveIntegerField(default=0, verbose_name="Sent")),
                ("failed", models.PositiveIntegerField(default=0, verbose_name="Failed")),
                ("retried", models.PositiveIntegerField(default=0, help_text="Failed, queued again to retry.", verbose_name="Retried")),
                ("requeued", models.PositiveIntegerField(default=0, help_text="Requeued by an operator.", verbose_name="Requeued")),
                ("latency_ms", models.BigIntegerField(default=0, verbose_name="Total latency (ms)")),
                ("last_sent_at", models.DateTimeField(blank=True, null=True, verbose_name="Last sent at")),
                ("last_failed_at", models.DateTimeField(blank=True, null=True, verbose_name="Last failure at")),
                ("last_error", models.CharField(blank=True, default="", max_length=255, verbose_name="Last error")),
            ],
            options={
                "verbose_name": "Delivery statistic",
                "verbose_name_plural": "Delivery statistics",
                "permissions": [("test_backend_connection", "Can test backend connections")],
                "constraints": [
                    models.UniqueConstraint(fields=("backend_alias", "bucket"), name="post_office_deliverystat_unique"),
                ],
            },
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddIndex(
                    model_name="log",
                    index=models.Index(fields=["status", "date"], name="post_office_log_status_date"),
                ),
                migrations.AddIndex(
                    model_name="email",
                    index=models.Index(fields=["scheduled_time"], condition=models.Q(("status__in", [2, 3])),
                                       name="post_office_email_q_sched"),
                ),
                migrations.AddIndex(
                    model_name="email",
                    index=models.Index(fields=["id"], condition=models.Q(("status__in", [2, 3]),
                                                                         ("scheduled_time__isnull", True)),
                                       name="post_office_email_q_unsched"),
                ),
            ],
            state_operations=[],
        ),
    ]
