"""Suppressed addresses (hard bounces and complaints reported by provider webhooks)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("post_office", "0003_template_studio"),
    ]

    operations = [
        migrations.CreateModel(
            name="Suppression",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("address", models.EmailField(max_length=254, unique=True, verbose_name="Address")),
                ("reason", models.CharField(choices=[("hard_bounce", "Hard bounce"), ("complaint", "Spam complaint"), ("manual", "Added by staff")], max_length=20, verbose_name="Reason")),
                ("created", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="Created")),
                ("source", models.CharField(blank=True, default="", help_text="The provider event that caused it, e.g. 'sparkpost bounce (class 10)'.", max_length=255, verbose_name="Source event")),
                ("email", models.ForeignKey(blank=True, help_text="The email whose bounce or complaint added the address.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="post_office.email", verbose_name="Email")),
            ],
            options={
                "verbose_name": "Suppression",
                "verbose_name_plural": "Suppressions",
                "ordering": ["-created"],
            },
        ),
    ]
