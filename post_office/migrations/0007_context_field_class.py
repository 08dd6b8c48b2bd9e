"""``Email.context`` follows ``POST_OFFICE['CONTEXT_FIELD_CLASS']``.

With the default (Django's JSONField, what django-post_office 3.12 created) this changes
nothing. With another class (e.g. picklefield) the column takes that field's type, so its values
are not refused by a JSON column. Set the class before migrating; to switch later, migrate
post_office back to 0006 and forward again.
"""

from django.db import migrations
from django.utils.module_loading import import_string

from post_office.conf import post_office_settings


class Migration(migrations.Migration):

    dependencies = [
        ("post_office", "0006_email_search_trigram"),
    ]

    operations = [
        migrations.AlterField(
            model_name="email",
            name="context",
            field=import_string(post_office_settings.context_field_class)(
                blank=True, null=True, verbose_name="Context"
            ),
        ),
    ]
