"""The institutions registry's seed: Serbia, Bosnia and Herzegovina, INHOPE partner hotlines."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from sigurnet.core.models import ContactPerson, Institution


@pytest.mark.django_db
def test_seed_holds_the_institutions_the_centres_forward_to():
    serbia = Institution.objects.filter(country="RS")
    kinds = set(serbia.values_list("kind", flat=True))
    assert {"prosecutor", "police", "ministry", "social_work", "health", "partner_hotline"} <= kinds
    bosnia = Institution.objects.filter(country="BA")
    assert {"police", "prosecutor", "ministry", "partner_hotline"} <= set(
        bosnia.values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_seed_has_partner_hotlines_across_the_inhope_network():
    hotlines = Institution.objects.filter(kind="partner_hotline", network="INHOPE")
    assert hotlines.values("country").distinct().count() >= 30


@pytest.mark.django_db
def test_every_seeded_contact_is_invented():
    contacts = list(ContactPerson.objects.all())
    assert contacts
    for contact in contacts:
        assert contact.email == "" or contact.email.endswith("@example.org"), contact
    for institution in Institution.objects.exclude(intake_email=""):
        assert institution.intake_email.endswith("@example.org"), institution


@pytest.mark.django_db
def test_reseeding_keeps_edits(capsys):
    institution = Institution.objects.filter(country="RS", kind="prosecutor").first()
    institution.notes = "Edited by the centre"
    institution.save()
    call_command("seed_institutions")
    assert "added: 0" in capsys.readouterr().out
    institution.refresh_from_db()
    assert institution.notes == "Edited by the centre"
