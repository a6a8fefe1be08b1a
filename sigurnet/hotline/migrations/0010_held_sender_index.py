# The sender's blind index on held e-mails, for the triage's "beside the report". Messages held
# before this migration keep "" (no backfill): they are not listed beside any report.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0009_legal_basis"),
    ]

    operations = [
        migrations.AddField(
            model_name="heldemail",
            name="sender_index",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
    ]
