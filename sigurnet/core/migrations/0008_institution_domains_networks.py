"""Institutions answer for domains and networks (hotline forwarding suggests them for content
there); the seeded platforms get their well-known domains, unless an administrator set some."""

import sigurnet.core.models
from django.db import migrations, models


SEEDED_PLATFORM_DOMAINS = {
    ("US", "Meta Platforms, Inc. (Facebook, Instagram, WhatsApp)"): [
        "facebook.com",
        "fb.com",
        "instagram.com",
        "threads.net",
        "whatsapp.com",
    ],
    ("US", "Google LLC (YouTube)"): ["google.com", "youtube.com", "youtu.be", "blogspot.com"],
    ("IE", "TikTok Technology Limited"): ["tiktok.com"],
}


def seed_platform_domains(apps, schema_editor):
    Institution = apps.get_model("core", "Institution")
    for (country, name), domains in SEEDED_PLATFORM_DOMAINS.items():
        Institution.objects.filter(country=country, name=name, domains=[]).update(domains=domains)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0007_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='institution',
            name='domains',
            field=models.JSONField(blank=True, default=list, help_text='Domain names it answers for (a platform), for example ["example.com"]. A domain covers its subdomains.', validators=[sigurnet.core.models.validate_domains], verbose_name='domains'),
        ),
        migrations.AddField(
            model_name='institution',
            name='networks',
            field=models.JSONField(blank=True, default=list, help_text='AS numbers and address ranges it answers for (a hosting provider), for example ["AS64500", "192.0.2.0/24", "2001:db8::/32"].', validators=[sigurnet.core.models.validate_networks], verbose_name='networks'),
        ),
        migrations.RunPython(seed_platform_domains, migrations.RunPython.noop),
    ]
