# ruff: noqa: RUF001
"""The helpline's opening hours: stored as days and times, shown in words in every language."""

from __future__ import annotations

import datetime
import importlib
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from sigurnet.core.models import DeploymentProfile
from sigurnet.core.selectors import DEFAULT_PROFILE
from sigurnet.core.services import save_profile

pytestmark = pytest.mark.django_db

BELGRADE = ZoneInfo("Europe/Belgrade")


@pytest.fixture
def profile() -> DeploymentProfile:
    return save_profile(
        DeploymentProfile(
            **{
                **DEFAULT_PROFILE,
                "helpline_phone": "0800 000 000",
                "helpline_days": [0, 1, 2, 3, 4],
                "helpline_opens": datetime.time(8, 0),
                "helpline_closes": datetime.time(20, 0),
                "helpline_closed_dates": ["01-01", "2099-04-10"],
            }
        )
    )


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    def set_now(*args: int) -> None:
        moment = datetime.datetime(*args, tzinfo=BELGRADE)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


def help_page(language: str) -> str:
    response = Client().get(f"/{language}/help/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "week", "yearly", "once"),
    [
        (
            "en",
            "Monday to Friday, 8:00 to 20:00",
            "Closed every year on January 1",
            "Closed on April 10, 2099",
        ),
        (
            "sr-latn",
            "Ponedeljak – petak, od 8:00 do 20:00",
            "Ne radimo 1. januar, svake godine",
            "Ne radimo 10. april 2099.",
        ),
        (
            "sr",
            "Понедељак – петак, од 8:00 до 20:00",
            "Не радимо 1. јануар, сваке године",
            "Не радимо 10. април 2099.",
        ),
        (
            "bs",
            "Ponedjeljak – petak, od 8:00 do 20:00",
            "Ne radimo 1. januar, svake godine",
            "Ne radimo 10.",
        ),
    ],
)
def test_the_help_page_says_the_opening_hours_in_words(profile, language, week, yearly, once):
    page = help_page(language)
    assert week in page
    assert yearly in page
    assert once in page
    assert "8-20" not in page


def test_the_help_page_says_when_the_helpline_is_open_now(profile, at):
    at(2026, 12, 1, 10, 30)  # a Tuesday morning
    assert "We are open now." in help_page("en")
    at(2026, 12, 1, 20, 0)  # closing time
    page = help_page("en")
    assert "We are closed now." in page
    assert "We open again tomorrow at 8:00." in page
    at(2026, 12, 5, 9, 0)  # Saturday
    assert "We open again Monday at 8:00." in help_page("en")
    at(2027, 1, 1, 10, 0)  # a Friday, but 1 January
    assert "We are closed now." in help_page("en")


def test_the_time_is_that_of_the_installation(profile, monkeypatch):
    # 7:30 UTC is 8:30 in Belgrade in winter.
    moment = datetime.datetime(2026, 12, 1, 7, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert "We are open now." in help_page("en")


def test_a_note_is_shown_under_the_hours(profile):
    profile.helpline_hours = "Chat every evening"
    save_profile(profile)
    page = help_page("en")
    assert "Chat every evening" in page
    assert "Monday to Friday" in page


def test_hours_that_make_no_sense_are_refused():
    profile = DeploymentProfile(
        **{
            **DEFAULT_PROFILE,
            "helpline_days": [0],
            "helpline_opens": datetime.time(20, 0),
            "helpline_closes": datetime.time(8, 0),
            "helpline_closed_dates": ["31-12", "2026-02-30"],
        }
    )
    with pytest.raises(ValidationError) as refused:
        save_profile(profile)
    assert set(refused.value.message_dict) == {"helpline_closes", "helpline_closed_dates"}


def test_the_administrator_edits_the_hours_with_days_and_times(signed_in):
    client = signed_in("Administrator")
    response = client.post(
        "/admin/core/deploymentprofile/add/",
        {
            "centre_name": "Centar",
            "country": "RS",
            "enabled_languages": ["en", "sr-latn"],
            "emergency_number": "192",
            "helpline_phone": "0800 000 000",
            "helpline_days": ["0", "2", "4"],
            "helpline_opens": "09:00",
            "helpline_closes": "17:30",
            "helpline_closed_dates": "01-01\r\n2099-04-10\r\n",
        },
    )
    assert response.status_code == 302, response.content.decode()
    profile = DeploymentProfile.objects.get()
    assert profile.helpline_days == [0, 2, 4]
    assert profile.helpline_closed_dates == ["01-01", "2099-04-10"]
    assert "Monday, Wednesday and Friday, 9:00 to 17:30" in help_page("en")
    form = client.get("/admin/core/deploymentprofile/1/change/").content.decode()
    assert "01-01\n2099-04-10" in form


migration = importlib.import_module("sigurnet.core.migrations.0005_helpline_opening_hours")


@pytest.mark.parametrize(
    ("text", "days", "opens", "closes", "note"),
    [
        ("8-20", [0, 1, 2, 3, 4], datetime.time(8), datetime.time(20), ""),
        ("8:30 – 16h", [0, 1, 2, 3, 4], datetime.time(8, 30), datetime.time(16), ""),
        ("Mon-Sat 8-20", [], None, None, "Mon-Sat 8-20"),
    ],
)
def test_the_migration_reads_the_old_free_text(text, days, opens, closes, note):
    from django.apps import apps

    save_profile(DeploymentProfile(**{**DEFAULT_PROFILE, "helpline_hours": text}))
    migration.hours_from_text(apps, None)
    profile = DeploymentProfile.objects.get()
    assert (profile.helpline_days, profile.helpline_opens, profile.helpline_closes) == (
        days,
        opens,
        closes,
    )
    assert profile.helpline_hours == note
