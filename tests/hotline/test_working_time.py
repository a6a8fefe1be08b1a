"""Public holidays and the centre's own non-working days in the working-days targets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sigurnet.core.models import AuditEvent, DeploymentProfile
from sigurnet.core.selectors import get_profile
from sigurnet.core.services import save_profile
from sigurnet.hotline.models import HotlineSettings, Report
from sigurnet.hotline.triage import selectors, working_time
from sigurnet.hotline.triage.selectors import QueueFilter
from sigurnet.hotline.triage.working_time import WorkingCalendar, national_holidays

BELGRADE = ZoneInfo("Europe/Belgrade")
SETTINGS_URL = "/staff/hotline/settings/"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BELGRADE)  # type: ignore[misc]


def days(country: str, year: int) -> list[date]:
    return [h.day for h in national_holidays(country, year)]


# --- The built-in holidays, computed offline --------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2016, date(2016, 5, 1)),
        (2021, date(2021, 5, 2)),
        (2024, date(2024, 5, 5)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 12)),
        (2027, date(2027, 5, 2)),
    ],
)
def test_orthodox_easter_falls_on_the_known_dates(year, easter):
    assert working_time.orthodox_easter(year) == easter


def test_serbias_holidays_of_2026():
    assert days("RS", 2026) == [
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 1, 7),
        date(2026, 2, 15),
        date(2026, 2, 16),
        date(2026, 2, 17),  # 15 February is a Sunday: the next working day is off
        date(2026, 4, 10),  # Good Friday to Easter Monday
        date(2026, 4, 11),
        date(2026, 4, 12),
        date(2026, 4, 13),
        date(2026, 5, 1),
        date(2026, 5, 2),
        date(2026, 11, 11),
    ]


@pytest.mark.parametrize(
    ("year", "day_off"),
    [
        (2017, date(2017, 1, 3)),  # 1 January a Sunday, 2 January a holiday already
        (2018, date(2018, 11, 12)),  # 11 November a Sunday
        (2020, date(2020, 2, 17)),  # 16 February a Sunday
        (2021, date(2021, 5, 4)),  # 2 May a Sunday, 3 May Easter Monday
        (2022, date(2022, 1, 3)),  # 2 January a Sunday
        (2016, date(2016, 5, 3)),  # 1 May a Sunday and Easter, 2 May Easter Monday
    ],
)
def test_a_state_holiday_on_a_sunday_gives_the_next_working_day_off(year, day_off):
    assert day_off in days("RS", year)
    assert day_off.weekday() < 5


def test_orthodox_christmas_on_a_sunday_gives_no_day_off():
    assert date(2018, 1, 7).weekday() == 6
    assert date(2018, 1, 8) not in days("RS", 2018)


def test_bosnia_and_herzegovinas_state_holidays():
    assert days("BA", 2027) == [
        date(2027, 1, 1),
        date(2027, 1, 2),
        date(2027, 3, 1),
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 11, 25),
    ]
    assert days("ME", 2027) == []  # no built-in list: the centre adds its own


# --- Counting -------------------------------------------------------------------------------


def test_a_holiday_counts_nothing_and_weekends_still_nothing():
    serbia = WorkingCalendar("RS")
    friday, holiday, tuesday = at(2024, 11, 8, 19), at(2024, 11, 11, 20), at(2024, 11, 12, 20)
    assert serbia.age(friday, holiday) == timedelta(hours=5)  # Friday 19:00 to midnight
    assert serbia.age(friday, tuesday) == timedelta(hours=25)
    assert serbia.age(at(2024, 11, 11, 9), at(2024, 11, 11, 17)) == timedelta(0)
    assert WorkingCalendar("").age(friday, tuesday) == timedelta(hours=49)  # no holidays
    # Received on the holiday itself: counting starts the next morning.
    assert serbia.age(at(2024, 11, 11, 9), at(2024, 11, 12, 9)) == timedelta(hours=9)
    # Over a year's end, with 1 and 2 January off (2026: Thursday and Friday).
    assert serbia.age(at(2025, 12, 31, 12), at(2026, 1, 5, 12)) == timedelta(hours=24)


def test_added_and_removed_days_change_the_count():
    calendar = WorkingCalendar(
        "RS", added=frozenset({date(2026, 12, 31)}), removed=frozenset({date(2026, 11, 11)})
    )
    assert calendar.age(at(2026, 11, 10, 12), at(2026, 11, 12, 12)) == timedelta(days=2)
    assert calendar.age(at(2026, 12, 30, 12), at(2027, 1, 4, 12)) == timedelta(hours=24)


def queue_row(report: Report, analyst: Any, now: datetime) -> Any:
    selectors.forget_hotline_settings()
    page = selectors.queue_page(QueueFilter(), user=analyst, now=now, with_counts=False)
    return next(r for r in page.rows if r.report.pk == report.pk)


@pytest.mark.django_db
def test_a_report_of_the_friday_before_a_monday_holiday_is_not_overdue_too_early(
    make_report, make_staff
):
    # Friday 13 February 2026; Monday 16 February is Sretenje, Tuesday 17 February is off
    # because 15 February is a Sunday. A 48-hour target counted on working days.
    HotlineSettings.objects.create(
        pk=1, target_times={"phishing_fraud": {"hours": 48, "working_days": True}}
    )
    report = make_report(category="phishing_fraud")
    Report.objects.filter(pk=report.pk).update(received_at=at(2026, 2, 13, 19))
    report.refresh_from_db()
    analyst = make_staff("Hotline analyst", username="ana", device=False)

    monday_evening = queue_row(report, analyst, at(2026, 2, 16, 20))
    assert monday_evening.counted == timedelta(hours=5) and not monday_evening.overdue
    tuesday_evening = queue_row(report, analyst, at(2026, 2, 17, 20))
    assert tuesday_evening.counted == timedelta(hours=5) and not tuesday_evening.overdue
    thursday_evening = queue_row(report, analyst, at(2026, 2, 19, 20))
    assert thursday_evening.counted == timedelta(hours=49) and thursday_evening.overdue


@pytest.mark.django_db
def test_in_bosnia_and_herzegovina_independence_day_does_not_count(make_report, make_staff):
    profile = DeploymentProfile.objects.filter(pk=get_profile().pk).first() or get_profile()
    profile.country = "BA"
    save_profile(profile)
    HotlineSettings.objects.create(
        pk=1, target_times={"hate_speech": {"hours": 24, "working_days": True}}
    )
    report = make_report(category="hate_speech")
    Report.objects.filter(pk=report.pk).update(received_at=at(2027, 2, 26, 16))  # a Friday
    report.refresh_from_db()
    analyst = make_staff("Hotline analyst", username="ana", device=False)
    row = queue_row(report, analyst, at(2027, 3, 2, 12))  # Tuesday, after Monday 1 March
    assert row.counted == timedelta(hours=8 + 12) and not row.overdue


@pytest.mark.django_db
def test_a_page_of_fifty_working_day_rows_reads_the_settings_at_most_twice(make_report, make_staff):
    HotlineSettings.objects.create(
        pk=1, target_times={"phishing_fraud": {"hours": 48, "working_days": True}}
    )
    for _n in range(50):
        make_report(category="phishing_fraud")
    analyst = make_staff("Hotline analyst", username="ana", device=False)
    selectors.forget_hotline_settings()
    with CaptureQueriesContext(connection) as captured:
        page = selectors.queue_page(QueueFilter(), user=analyst, with_counts=False)
    assert len(page.rows) == 50
    assert sum("hotline_hotlinesettings" in q["sql"] for q in captured) == 2
    with CaptureQueriesContext(connection) as captured:
        selectors.queue_page(QueueFilter(), user=analyst, with_counts=False)
    assert not any("hotline_hotlinesettings" in q["sql"] for q in captured)


# --- The supervisors' list ------------------------------------------------------------------


def settings_form_data(client: Client, **changes: Any) -> dict[str, Any]:
    form = client.get(SETTINGS_URL).context["form"]
    data = {name: form.initial.get(name) for name in form.fields}
    data.update(changes)
    return {k: ("on" if v is True else v) for k, v in data.items() if v not in (False, None)}


def listed(client: Client) -> list[str]:
    return str(client.get(SETTINGS_URL).context["form"].initial["non_working_days"]).split()


@pytest.mark.django_db
def test_the_settings_page_lists_this_years_and_next_years_national_holidays(signed_in):
    year = timezone.localdate().year
    supervisor = signed_in("Hotline supervisor")
    page = supervisor.get(SETTINGS_URL).content.decode()
    shown = listed(supervisor)
    expected = days("RS", year) + days("RS", year + 1)
    assert shown == [d.isoformat() for d in expected]
    easter_monday = working_time.orthodox_easter(year + 1) + timedelta(days=1)
    assert easter_monday.isoformat() in page
    assert "Orthodox Easter Monday" in page
    assert f"public holidays of Serbia for {year} and {year + 1}" in page


@pytest.mark.django_db
def test_a_supervisor_adds_and_removes_days_and_the_change_is_audited_and_kept(
    signed_in, make_report, make_staff
):
    year = timezone.localdate().year
    supervisor = signed_in("Hotline supervisor")
    wanted = [d for d in listed(supervisor) if d != f"{year + 1}-01-07"]
    wanted.append(f"31.12.{year + 1}.")
    response = supervisor.post(
        SETTINGS_URL,
        settings_form_data(supervisor, non_working_days="\n".join(wanted)),
        follow=True,
    )
    assert "The settings are saved." in response.content.decode()
    event = AuditEvent.objects.get(action="hotline.settings_changed")
    assert event.actor_id == supervisor.user.pk
    assert event.detail == {
        "non_working_days": {
            "added": [f"{year + 1}-12-31"],
            "removed": [f"{year + 1}-01-07"],
        }
    }
    shown = listed(supervisor)
    assert f"{year + 1}-12-31" in shown and f"{year + 1}-01-07" not in shown
    assert f"{year}-01-07" in shown  # the other years' holidays are as they were

    # The count follows the list: the added day counts nothing, the removed one counts.
    calendar = working_time.calendar()
    new_years_eve = at(year + 1, 12, 31, 9)
    assert calendar.age(new_years_eve, new_years_eve + timedelta(hours=8)) == timedelta(0)
    if date(year + 1, 1, 7).weekday() < 5:
        seventh = at(year + 1, 1, 7, 9)
        assert calendar.age(seventh, seventh + timedelta(hours=8)) == timedelta(hours=8)

    # Saving the page as it is changes nothing more.
    supervisor.post(SETTINGS_URL, settings_form_data(supervisor))
    assert AuditEvent.objects.filter(action="hotline.settings_changed").count() == 1


@pytest.mark.django_db
def test_emptying_the_list_removes_the_listed_holidays_only(signed_in):
    year = timezone.localdate().year
    supervisor = signed_in("Hotline supervisor")
    supervisor.post(SETTINGS_URL, settings_form_data(supervisor, non_working_days=""))
    assert listed(supervisor) == []
    later = WorkingCalendar(
        "RS", *working_time.parse_stored(HotlineSettings.objects.get().non_working_days)
    )
    assert date(year + 2, 1, 1) in later.non_working_days(year + 2)  # came by itself


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "not_a_date", "out_of_range"),
    [
        ("en", "is not a date. Write one a line", "is not between"),
        ("sr-latn", "nije datum. Pišite jedan po redu", "nije između"),
        ("sr", "није датум. Пишите један по реду", "није између"),
        ("bs", "nije datum. Pišite jedan po redu", "nije između"),
    ],
)
def test_a_wrong_date_is_refused_with_a_clear_message_in_the_staff_language(
    signed_in, language, not_a_date, out_of_range
):
    year = timezone.localdate().year
    supervisor = signed_in("Hotline supervisor")
    supervisor.post("/staff/language/", {"language": language, "next": SETTINGS_URL})
    typed = f"{year}-01-07\n{year}-02-30\n1.1.{year - 3}"
    response = supervisor.post(SETTINGS_URL, settings_form_data(supervisor, non_working_days=typed))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{year}-02-30" in page and not_a_date in page
    assert f"{year - 3}-01-01 {out_of_range}" in page
    assert not HotlineSettings.objects.exists()
