"""Seed the institutions registry (Serbia, Bosnia and Herzegovina, INHOPE partner hotlines).

Contact persons in the seed are invented (@example.org); each centre replaces them.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from sigurnet.core.seed import load_institutions

    load_institutions(apps.get_model("core", "Institution"), apps.get_model("core", "ContactPerson"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
