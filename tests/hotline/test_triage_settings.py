"""The supervisors' hotline settings: target times, the break reminder, four eyes, questions."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from sigurnet.core.models import AuditEvent
from sigurnet.core.selectors import audit_action_label
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline import services as hotline_services
from sigurnet.hotline.models import Assessment, Evidence, HotlineSettings, Report, Status
from sigurnet.hotline.triage import selectors, services
from sigurnet.hotline.triage.selectors import QueueFilter

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/staff/hotline/settings/"
BELGRADE = ZoneInfo("Europe/Belgrade")
CYRILLIC_WHERE = "Где тачно на страници је то?"  # noqa: RUF001


def save(client: Client, **changes: Any) -> Any:
    """Post the settings form as the page shows it, with ``changes`` applied (a checkbox is
    sent only when ticked, as a browser does)."""
    page = client.get(SETTINGS_URL)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form.initial.get(name) for name in form.fields}
    data.update(changes)
    posted = {
        k: ("on" if v is True else v) for k, v in data.items() if v is not False and v is not None
    }
    return client.post(SETTINGS_URL, posted, follow=True)


def row_of(page: Any, report: Report) -> Any:
    return next(r for r in page.context["page"].rows if r.report.pk == report.pk)


def test_a_supervisor_changes_the_csam_target_and_the_queue_shows_it(signed_in, make_report):
    report = make_report(category="csam", urls=["https://abuse.example.net/x"])
    Report.objects.filter(pk=report.pk).update(
        received_at=Report.objects.get(pk=report.pk).received_at - timedelta(hours=3)
    )
    supervisor = signed_in("Hotline supervisor")
    queue = supervisor.get("/staff/hotline/")
    assert row_of(queue, report).target_label == "4 hours"
    assert not row_of(queue, report).overdue
    assert 'href="/staff/hotline/settings/"' in queue.content.decode()

    response = save(supervisor, target_csam=2)
    assert "The settings are saved." in response.content.decode()
    queue = supervisor.get("/staff/hotline/")
    row = row_of(queue, report)
    assert row.target_label == "2 hours" and row.overdue
    assert "3 hours / 2 hours <strong>overdue</strong>" in queue.content.decode()

    event = AuditEvent.objects.get(action="hotline.settings_changed")
    assert event.actor_id == supervisor.user.pk
    assert event.detail == {"target.csam": {"from": [4, False], "to": [2, False]}}
    assert audit_action_label("hotline.settings_changed") == "Hotline settings changed"


def test_saving_the_settings_unchanged_changes_and_records_nothing(signed_in):
    supervisor = signed_in("Hotline supervisor")
    response = save(supervisor)
    assert "Nothing changed." in response.content.decode()
    assert not AuditEvent.objects.filter(action="hotline.settings_changed").exists()
    assert selectors.hotline_settings() == selectors.resolve_settings(None)  # the defaults still


def test_the_defaults_are_the_built_in_rules():
    rules = selectors.hotline_settings()
    assert rules.target("csam") == selectors.Target(4, False)
    assert rules.target("phishing_fraud") == selectors.Target(48, False)
    assert rules.reveal_break_after == 25 and rules.four_eyes_for_csam
    assert services.question_text("address", "bs") == services.builtin_question("address", "bs")
    # A new row (the model's defaults) means the same as no row.
    assert selectors.resolve_settings(HotlineSettings()) == rules


def test_an_impossible_setting_is_refused_with_a_message(signed_in):
    supervisor = signed_in("Hotline supervisor")
    response = save(supervisor, target_csam=0, reveal_break_after="")
    html = response.content.decode()
    assert "Please check your answers" in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert not HotlineSettings.objects.exists()


def test_an_analyst_cannot_open_or_change_the_settings(signed_in):
    analyst = signed_in("Hotline analyst")
    assert analyst.get(SETTINGS_URL).status_code == 403
    assert analyst.post(SETTINGS_URL, {"reveal_break_after": 1}).status_code == 403
    assert not HotlineSettings.objects.exists()
    assert 'href="/staff/hotline/settings/"' not in analyst.get("/staff/hotline/").content.decode()


def test_with_four_eyes_off_an_actionable_csam_assessment_is_forwarded_without_confirmation(
    signed_in, make_report
):
    save(signed_in("Hotline supervisor"), four_eyes_for_csam=False)
    assert AuditEvent.objects.get(action="hotline.settings_changed").detail == {
        "four_eyes_for_csam": {"from": True, "to": False}
    }
    report = make_report(category="csam", urls=["https://abuse.example.net/a"])
    analyst = signed_in("Hotline analyst", username="ana")
    analyst.post(f"/staff/hotline/{report.reference}/claim/")
    analyst.post(
        f"/staff/hotline/{report.reference}/assess/",
        {
            "outcome": "actionable",
            "priority": "high",
            "category": "csam",
            "legal_class": "baseline",
            "victim_age": "prepubescent",
            "victim_gender": "female",
            "content_kind": "image",
            "commercial": "false",
        },
    )
    report.refresh_from_db()
    assert report.status == Status.ASSESSED
    assert not Assessment.objects.get(report=report).needs_confirmation
    page = analyst.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "Waits for a second analyst to confirm it." not in page
    services.transition(report, Status.FORWARDED, actor=analyst.user)
    assert Report.objects.get(pk=report.pk).status == Status.FORWARDED


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_the_break_reminder_comes_after_the_supervisors_number(
    signed_in, make_report, settings, tmp_path
):
    settings.SIGURNET_EVIDENCE_ROOT = str(tmp_path)
    report = make_report(category="cyberbullying")
    clean = evidence_files.inspect(picture())
    evidence = Evidence.objects.create(
        report=report,
        storage_name=evidence_files.write_encrypted(clean),
        original_name="slika.png",
        content_type=clean.content_type,
        size=len(clean.content),
    )
    analyst = signed_in("Hotline analyst", username="ana")
    analyst.get(f"/staff/hotline/{report.reference}/?reveal={evidence.pk}")
    queue = analyst.get("/staff/hotline/").content.decode()
    assert "You revealed 1 picture today." in queue and "Take a short break" not in queue

    save(signed_in("Hotline supervisor"), reveal_break_after=1)
    assert "Take a short break" in analyst.get("/staff/hotline/").content.decode()
    page = analyst.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "Take a short break" in page


@pytest.fixture
def filed() -> Any:
    def file(language: str) -> Any:
        return hotline_services.file_report(
            hotline_services.ReportSubmission(
                category="cyberbullying", language=language, description="Ružne poruke."
            ),
            channel="web",
        )

    return file


def ask_with_template(analyst: Client, report: Report) -> str:
    analyst.post(f"/staff/hotline/{report.reference}/claim/")
    page = analyst.get(f"/staff/hotline/{report.reference}/ask/", {"question": "address"})
    text = page.context["form"].initial["text"]
    analyst.post(f"/staff/hotline/{report.reference}/ask/", {"text": text})
    return str(text)


def test_an_edited_question_is_what_the_reporter_reads_in_their_language(signed_in, filed):
    save(
        signed_in("Hotline supervisor"),
        question_address_bs="Pošalji nam, molimo, cijelu adresu stranice.",
        question_address_en="Please send us the whole address of the page.",
    )
    event = AuditEvent.objects.get(action="hotline.settings_changed")
    assert event.detail == {"question.address.bs": "edited", "question.address.en": "edited"}
    bosnian = filed("bs")
    analyst = signed_in("Hotline analyst")
    assert ask_with_template(analyst, bosnian.report) == (
        "Pošalji nam, molimo, cijelu adresu stranice."
    )
    reporter = Client()
    status = reporter.post("/bs/report/status/", {"receipt": bosnian.receipt}, follow=True)
    assert "Pošalji nam, molimo, cijelu adresu stranice." in status.content.decode()
    # Untouched languages keep the built-in text.
    assert services.question_text("address", "sr-latn") == services.builtin_question(
        "address", "sr-latn"
    )


def test_the_serbian_latin_question_reaches_a_serbian_reporter_in_cyrillic(signed_in, filed):
    save(signed_in("Hotline supervisor"), question_where_sr_latn="Gde tačno na stranici je to?")
    serbian = filed("sr")
    analyst = signed_in("Hotline analyst")
    analyst.post(f"/staff/hotline/{serbian.report.reference}/claim/")
    page = analyst.get(f"/staff/hotline/{serbian.report.reference}/ask/", {"question": "where"})
    text = page.context["form"].initial["text"]
    assert text == CYRILLIC_WHERE
    analyst.post(f"/staff/hotline/{serbian.report.reference}/ask/", {"text": text})
    status = Client().post("/sr/report/status/", {"receipt": serbian.receipt}, follow=True)
    assert CYRILLIC_WHERE in status.content.decode()


def test_the_settings_page_shows_the_questions_as_reporters_read_them(signed_in):
    page = signed_in("Hotline supervisor").get(SETTINGS_URL)
    form = page.context["form"]
    assert form.initial["question_account_bs"] == services.builtin_question("account", "bs")
    assert form.initial["question_account_sr_latn"] == services.builtin_question(
        "account", "sr-latn"
    )
    assert form.initial["question_account_en"] == str(services.QUESTIONS["account"])


def friday_evening_report(make_report: Any) -> Report:
    report = make_report(category="phishing_fraud")
    friday = datetime(2026, 11, 27, 19, 0, tzinfo=BELGRADE)  # a Friday
    Report.objects.filter(pk=report.pk).update(received_at=friday)
    return Report.objects.get(pk=report.pk)


def test_a_report_received_friday_evening_with_two_working_days_is_not_overdue_on_sunday(
    signed_in, make_report, make_staff
):
    report = friday_evening_report(make_report)
    analyst = make_staff("Hotline analyst", username="ana", device=False)
    sunday = datetime(2026, 11, 29, 21, 0, tzinfo=BELGRADE)
    tuesday_evening = datetime(2026, 12, 1, 20, 0, tzinfo=BELGRADE)

    def row(now: datetime) -> Any:
        selectors.forget_hotline_settings()
        page = selectors.queue_page(QueueFilter(), user=analyst, now=now, with_counts=False)
        return next(r for r in page.rows if r.report.pk == report.pk)

    assert row(sunday).overdue  # calendar time (the default): 50 hours against 48
    save(signed_in("Hotline supervisor"), working_phishing_fraud=True)
    assert AuditEvent.objects.get(action="hotline.settings_changed").detail == {
        "target.phishing_fraud": {"from": [48, False], "to": [48, True]}
    }
    on_sunday = row(sunday)
    assert not on_sunday.overdue
    assert on_sunday.counted == timedelta(hours=5)  # Friday 19:00 to midnight
    assert on_sunday.target_label == "2 days (Monday to Friday)"
    monday_evening = row(datetime(2026, 11, 30, 20, 0, tzinfo=BELGRADE))
    assert not monday_evening.overdue  # 5 + 20 hours
    assert row(tuesday_evening).overdue  # 5 + 24 + 20 hours


def test_counted_age_skips_whole_weekends_over_several_weeks():
    start = datetime(2026, 11, 6, 12, 0, tzinfo=BELGRADE)  # a Friday, noon
    end = datetime(2026, 11, 23, 12, 0, tzinfo=BELGRADE)  # the Monday 17 days later
    counted = selectors.counted_age(start, end, working_days=True)
    # Fri half + 2 full weeks (10 days) + Mon half, less Wednesday 11 November (Armistice
    # Day, a public holiday in Serbia, the profile's country).
    assert counted == timedelta(days=10)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=BELGRADE)
    sunday = datetime(2026, 11, 29, 22, 0, tzinfo=BELGRADE)
    assert selectors.counted_age(saturday, sunday, working_days=True) == timedelta(0)
    assert selectors.counted_age(saturday, sunday, working_days=False) == timedelta(hours=36)


def test_the_queue_reads_the_settings_once_not_once_per_row(signed_in, make_report):
    client = signed_in("Hotline analyst")
    for _n in range(5):
        make_report(category="csam", urls=["https://abuse.example.net/y"])
    selectors.forget_hotline_settings()
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/staff/hotline/")
    assert len(page.context["page"].rows) == 5
    assert sum("hotline_hotlinesettings" in q["sql"] for q in captured) == 1
    with CaptureQueriesContext(connection) as captured:
        client.get("/staff/hotline/")
    assert not any("hotline_hotlinesettings" in q["sql"] for q in captured)  # kept in memory


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("sr-latn", "Ciljno vreme od prijema do procene"),
        ("sr", "Циљно време од пријема до процене"),
        ("bs", "Ciljno vrijeme od prijema do procjene"),
    ],
)
def test_the_settings_page_speaks_the_staff_language(signed_in, language, words):
    supervisor = signed_in("Hotline supervisor")
    supervisor.post("/staff/language/", {"language": language, "next": SETTINGS_URL})
    page = supervisor.get(SETTINGS_URL).content.decode()
    assert words in page
    assert "Target time from receipt to assessment" not in page
