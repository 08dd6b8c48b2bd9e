"""The template studio: sample context for previews, version history, studio permissions."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("post_office", "0002_dispatcher_leases"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="emailtemplate",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("import_emailtemplate", "Can import email templates"),
                    ("send_test_emailtemplate", "Can send a test of an email template"),
                    ("restore_emailtemplate", "Can restore an earlier version of an email template"),
                ],
                "verbose_name": "Email Template",
                "verbose_name_plural": "Email Templates",
            },
        ),
        migrations.AddField(
            model_name="emailtemplate",
            name="sample_context",
            field=models.JSONField(blank=True, null=True, verbose_name="Sample context"),
        ),
        migrations.CreateModel(
            name="EmailTemplateVersion",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("template_name", models.CharField(db_index=True, max_length=255, verbose_name="Template name")),
                ("number", models.PositiveIntegerField(verbose_name="Version")),
                ("snapshot", models.JSONField(verbose_name="Snapshot")),
                ("created", models.DateTimeField(auto_now_add=True, verbose_name="Saved at")),
                ("comment", models.CharField(blank=True, default="", max_length=255, verbose_name="Comment")),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="Saved by")),
            ],
            options={
                "verbose_name": "Email template version",
                "verbose_name_plural": "Email template versions",
                "ordering": ["template_name", "-number"],
                "constraints": [models.UniqueConstraint(fields=("template_name", "number"), name="post_office_template_version_unique")],
            },
        ),
    ]
