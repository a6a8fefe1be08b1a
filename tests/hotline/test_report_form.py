"""The web report form, step by step, as a person without JavaScript uses it."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from PIL import Image

from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.models import ContentItem, Evidence, Report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings, tmp_path):
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def file_report(client: Client, language: str = "en", **overrides: object) -> str:
    steps = {
        "what": {"category": "cyberbullying"},
        "where": {"urls": "https://example.com/post/1", "platform": "", "account": ""},
        "details": {"description": "They post mean things about my friend."},
        "you": {"age_band": "13_17"},
    }
    for key, value in overrides.items():
        step, field = key.split("__")
        steps[step][field] = value
    paths = {"what": "", "where": "where/", "details": "details/", "you": "you/"}
    for step, data in steps.items():
        response = client.post(f"/{language}/report/{paths[step]}", data)
        assert response.status_code == 302, (step, response.content.decode()[:3000])
    response = client.post(f"/{language}/report/check/")
    assert response.status_code == 302, response.content.decode()[:3000]
    return client.get(response["Location"]).content.decode()


def receipt_on(page: str) -> str:
    match = re.search(r'<p class="receipt" id="receipt">([\d ]+)</p>', page)
    assert match, page
    return match.group(1)


def test_anonymous_report_gets_reference_and_receipt_once():
    client = Client()
    page = file_report(client)
    report = Report.objects.get()
    assert report.reference in page
    receipt = receipt_on(page)
    assert len(receipt.replace(" ", "")) == 16
    assert report.channel == "web" and report.language == "en"
    assert report.description == "They post mean things about my friend."
    # Shown once: another browser never sees it (see also the tests of "I have saved my code").
    assert Client().get("/en/report/done/").status_code == 302


def test_report_in_cyrillic_serbian():
    page = file_report(Client(), language="sr")
    assert "Хвала" in page
    assert Report.objects.get().language == "sr"


def test_errors_are_shown_next_to_the_field_and_at_the_top_and_nothing_is_lost():
    client = Client()
    client.post("/en/report/", {"category": "phishing_fraud"})
    response = client.post(
        "/en/report/where/",
        {"urls": "https://bank-example.com/login\nnot a web address", "platform": "Viber"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in page
    assert "Line 2" in page
    assert "https://bank-example.com/login" in page  # what was typed is still there
    assert "Viber" in page
    # Leaving and coming back keeps it as well.
    assert "Viber" in client.get("/en/report/where/").content.decode()


def test_a_step_cannot_be_skipped():
    client = Client()
    response = client.get("/en/report/details/")
    assert response["Location"] == "/en/report/"


def test_where_needs_a_url_or_an_app_and_account():
    client = Client()
    client.post("/en/report/", {"category": "impersonation"})
    response = client.post("/en/report/where/", {"platform": "Instagram"})
    assert "Tell us where it is" in response.content.decode()
    response = client.post("/en/report/where/", {"platform": "Instagram", "account": "@fake"})
    assert response.status_code == 302


def test_child_abuse_material_form_warns_and_takes_no_upload():
    client = Client()
    client.post("/en/report/", {"category": "csam"})
    page = client.get("/en/report/where/").content.decode()
    assert "do not download, screenshot or share" in page.lower()
    details = client.get("/en/report/details/")
    assert details.status_code == 302  # where first
    client.post("/en/report/where/", {"urls": "http://example.net/x"})
    page = client.get("/en/report/details/").content.decode()
    assert 'type="file"' not in page


def test_contact_details_need_consent():
    client = Client()
    client.post("/en/report/", {"category": "hate_speech"})
    client.post("/en/report/where/", {"urls": "https://example.org/h"})
    client.post("/en/report/details/", {"description": "hate"})
    response = client.post("/en/report/you/", {"contact_email": "me@example.org"})
    assert "Tick this box" in response.content.decode()
    assert "me@example.org" in response.content.decode()


def test_honeypot_filled_by_a_script_is_refused():
    response = Client().post("/en/report/", {"category": "other", "website": "http://spam"})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_sending_faster_than_a_person_can_is_refused(settings):
    settings.SIGURNET_FORM_MIN_SECONDS = 60
    client = Client()
    client.get("/en/report/")
    client.post("/en/report/", {"category": "other"})
    client.post("/en/report/where/", {"urls": "https://example.org/x"})
    client.post("/en/report/details/", {"description": "x"})
    client.post("/en/report/you/", {})
    response = client.post("/en/report/check/")
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_two_reports_of_one_page_share_a_content_item():
    file_report(Client(), where__urls="HTTP://Example.COM:80/a/../b?utm_source=x#top")
    file_report(Client(), where__urls="http://example.com/b")
    assert Report.objects.count() == 2
    assert ContentItem.objects.count() == 1
    assert ContentItem.objects.get().reports.count() == 2


def png_with_gps() -> bytes:
    image = Image.new("RGB", (8, 8), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    out = io.BytesIO()
    image.save(out, format="PNG", exif=exif)
    return out.getvalue()


def test_evidence_is_checked_by_content_stripped_and_stored_encrypted():
    client = Client()
    client.post("/en/report/", {"category": "cyberbullying"})
    client.post("/en/report/where/", {"urls": "https://example.org/y"})
    upload = io.BytesIO(png_with_gps())
    upload.name = "holiday.txt"  # the name lies; the content decides
    response = client.post(
        "/en/report/details/", {"description": "see picture", "evidence": upload}
    )
    assert response.status_code == 302
    row = Evidence.objects.get()
    assert row.content_type == "image/png"
    stored = (evidence_files.evidence_root() / row.storage_name).read_bytes()
    assert b"SecretCameraMaker" not in stored and b"PNG" not in stored[:40]
    assert b"SecretCameraMaker" not in evidence_files.read_decrypted(row.storage_name)
    client.post("/en/report/you/", {})
    client.post("/en/report/check/")
    assert Evidence.objects.get().report == Report.objects.get()


def test_an_executable_is_refused_with_a_clear_message():
    client = Client()
    client.post("/en/report/", {"category": "other"})
    client.post("/en/report/where/", {"urls": "https://example.org/y"})
    upload = io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00")
    upload.name = "photo.jpg"
    response = client.post("/en/report/details/", {"description": "x", "evidence": upload})
    assert response.status_code == 400
    assert "We can only take pictures" in response.content.decode()
    assert "x" in response.content.decode()


def test_too_many_reports_from_one_client_are_asked_to_wait(settings):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    client = Client()
    file_report(client)
    file_report(client)
    for path, data in [
        ("", {"category": "other"}),
        ("where/", {"urls": "https://example.org/z"}),
        ("details/", {"description": "x"}),
        ("you/", {}),
    ]:
        client.post(f"/en/report/{path}", data)
    response = client.post("/en/report/check/")
    assert response.status_code == 429
    assert response["Retry-After"]
    # The draft is kept: after the wait the same report can be sent.
    assert "example.org/z" in client.get("/en/report/check/").content.decode()


def test_junk_from_one_client_does_not_stop_real_reports_from_another(settings):
    settings.SIGURNET_REPORTS_PER_MINUTE = 5
    flood = Client(REMOTE_ADDR="10.0.0.66")
    for _ in range(30):
        flood.post("/en/report/", {"category": "other", "website": "spam"})
    page = file_report(Client(REMOTE_ADDR="10.0.0.7"))
    assert Report.objects.get().reference in page


def test_pages_with_a_receipt_are_never_cached_by_the_browser():
    client = Client()
    file_report(client)
    assert "no-store" in client.get("/en/report/done/")["Cache-Control"]
    assert "no-store" in client.get("/en/report/status/")["Cache-Control"]


def test_a_decompression_bomb_is_refused():
    image = Image.new("1", (7000, 6000))  # 42 million pixels, a few kB as PNG
    out = io.BytesIO()
    image.save(out, format="PNG")
    with pytest.raises(evidence_files.EvidenceRejected):
        evidence_files.inspect(out.getvalue())


def test_reencrypt_rewrites_evidence_files_under_the_newest_key(settings, tmp_path):
    from django.core.management import call_command

    from sigurnet.config import new_data_key
    from sigurnet.core import crypto

    name = evidence_files.write_encrypted(evidence_files.inspect(b"evidence text"))
    settings.SIGURNET_DATA_KEYS = [new_data_key(), *settings.SIGURNET_DATA_KEYS]
    call_command("reencrypt", stdout=io.StringIO())
    blob = (evidence_files.evidence_root() / name).read_bytes()
    assert blob[4:12] == crypto.current_key_id().encode()
    settings.SIGURNET_DATA_KEYS = settings.SIGURNET_DATA_KEYS[:1]
    assert evidence_files.read_decrypted(name) == b"evidence text"


# --- Rough edges of the form (issue 12) ---------------------------------------------------


def start_report(client: Client, category: str = "cyberbullying") -> None:
    assert client.post("/en/report/", {"category": category}).status_code == 302


def fill_until_check(client: Client, category: str = "cyberbullying") -> None:
    start_report(client, category)
    client.post("/en/report/where/", {"urls": "https://example.com/post/1"})
    client.post("/en/report/details/", {"description": "They post mean things."})
    assert client.post("/en/report/you/", {"age_band": "13_17"}).status_code == 302


def test_back_keeps_what_was_typed_on_the_step_without_checking_it():
    client = Client()
    start_report(client)
    response = client.post(
        "/en/report/where/", {"urls": "not a web address yet", "platform": "Viber", "back": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/report/"
    # Nothing was checked, and on return what was typed is there.
    page = client.get("/en/report/where/").content.decode()
    assert "not a web address yet" in page and "Viber" in page
    assert 'class="error-summary"' not in page


def test_back_is_a_button_that_skips_the_browser_checks():
    client = Client()
    start_report(client)
    page = client.get("/en/report/where/").content.decode()
    assert re.search(r'<button type="submit" name="back" value="1"[^>]*formnovalidate', page)
    assert 'class="back-link"' not in page


def test_back_from_an_unfinished_step_asks_for_it_again_before_the_check():
    client = Client()
    start_report(client)
    client.post("/en/report/where/", {"urls": "https://example.com/1"})
    client.post("/en/report/details/", {"description": "", "back": "1"})
    response = client.get("/en/report/check/")
    assert response["Location"] == "/en/report/details/"


def test_changing_to_abuse_material_from_the_check_page_shows_the_warning_first():
    client = Client()
    fill_until_check(client)
    response = client.post("/en/report/?from=check", {"category": "csam"})
    assert response["Location"] == "/en/report/where/?from=check"
    page = client.get(response["Location"]).content.decode()
    assert "do not download, screenshot or share" in page.lower()
    response = client.post("/en/report/where/?from=check", {"urls": "https://example.com/post/1"})
    assert response["Location"] == "/en/report/check/"


def test_changing_to_abuse_material_from_the_check_page_drops_the_file():
    client = Client()
    start_report(client)
    client.post("/en/report/where/", {"urls": "https://example.org/y"})
    upload = io.BytesIO(png_with_gps())
    upload.name = "shot.png"
    client.post("/en/report/details/", {"description": "see picture", "evidence": upload})
    client.post("/en/report/you/", {})
    assert "shot.png" in client.get("/en/report/check/").content.decode()
    client.post("/en/report/?from=check", {"category": "csam"})
    client.post("/en/report/where/?from=check", {"urls": "https://example.org/y"})
    page = client.get("/en/report/check/").content.decode()
    assert "shot.png" not in page
    client.post("/en/report/check/")
    assert Report.objects.get().evidence.count() == 0


def test_abuse_material_details_step_does_not_ask_to_describe_the_pictures():
    client = Client()
    start_report(client, "csam")
    client.post("/en/report/where/", {"urls": "https://example.net/x"})
    page = client.get("/en/report/details/").content.decode()
    assert "You do not need to describe the pictures" in page
    assert "who is in it" not in page


def test_a_description_over_the_limit_is_kept_and_the_excess_is_told():
    client = Client()
    start_report(client)
    client.post("/en/report/where/", {"urls": "https://example.com/1"})
    page = client.get("/en/report/details/").content.decode()
    assert " maxlength=" not in page  # the browser cuts nothing
    text = "a" * 5000 + "b" * 234
    response = client.post("/en/report/details/", {"description": text})
    page = response.content.decode()
    assert response.status_code == 400
    assert "234 characters too long" in page
    assert text in page


def test_the_counter_texts_are_given_to_the_script_in_the_page_language():
    client = Client()
    start_report(client)
    client.post("/en/report/where/", {"urls": "https://example.com/1"})
    page = client.get("/en/report/details/").content.decode()
    assert 'data-maxlength="5000"' in page
    assert 'data-counter-other="{n} characters left"' in page


def test_the_check_page_shows_the_age_band_and_calls_only_missing_contact_anonymous():
    client = Client()
    fill_until_check(client)
    page = client.get("/en/report/check/").content.decode()
    assert "13 to 17" in page
    assert "Anonymous" not in page
    assert "No contact details" in page


def test_step_one_can_be_read_without_creating_a_session():
    from django.contrib.sessions.models import Session

    before = Session.objects.count()
    for _ in range(50):
        assert Client().get("/en/report/").status_code == 200
    assert Session.objects.count() == before


def start_token(client: Client) -> str:
    page = client.get("/en/report/").content.decode()
    match = re.search(r'name="started" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_the_minimum_fill_time_counts_from_the_first_page(settings, monkeypatch):
    import time as time_module

    settings.SIGURNET_FORM_MIN_SECONDS = 60
    client = Client()
    real_time = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real_time() - 120)
    token = start_token(client)  # the page was opened two minutes ago
    monkeypatch.setattr(time_module, "time", real_time)
    client.post("/en/report/", {"category": "other", "started": token})
    client.post("/en/report/where/", {"urls": "https://example.org/x"})
    client.post("/en/report/details/", {"description": "x"})
    client.post("/en/report/you/", {})
    assert client.post("/en/report/check/").status_code == 302
    assert Report.objects.count() == 1


def test_a_fresh_or_forged_start_token_does_not_get_round_the_minimum_fill_time(settings):
    settings.SIGURNET_FORM_MIN_SECONDS = 60
    for token in (start_token(Client()), "1700000000:forged"):
        client = Client()
        client.post("/en/report/", {"category": "other", "started": token})
        client.post("/en/report/where/", {"urls": "https://example.org/x"})
        client.post("/en/report/details/", {"description": "x"})
        client.post("/en/report/you/", {})
        assert client.post("/en/report/check/").status_code == 400
    assert not Report.objects.exists()


def test_expired_sessions_are_cleared_every_day(settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from sigurnet.celery import app
    from sigurnet.core.tasks import clear_expired_sessions

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if "session" in e["task"]]
    assert len(entries) == 1 and entries[0]["schedule"] <= 24 * 3600
    assert entries[0]["task"] == clear_expired_sessions.name and entries[0]["task"] in app.tasks
    now = timezone.now()
    Session.objects.create(session_key="old" * 10, session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="new" * 10, session_data="", expire_date=now + timedelta(1))
    clear_expired_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 10]


def test_the_receipt_stays_in_this_browser_until_the_reporter_has_saved_it():
    client = Client()
    page = file_report(client)
    receipt = receipt_on(page)
    # A reload and a language switch still show it: the child may have gone to write it down.
    assert receipt in client.get("/en/report/done/").content.decode()
    assert receipt in client.get("/sr-latn/report/done/").content.decode()
    # Nobody else sees it.
    assert Client().get("/en/report/done/").status_code == 302
    response = client.post("/en/report/done/", {"saved": "1"})
    assert response.status_code == 302
    page = client.get("/en/report/done/").content.decode()
    assert receipt not in page and Report.objects.get().reference in page


def test_the_receipt_can_be_saved_as_a_small_text_file():
    client = Client()
    receipt = receipt_on(file_report(client))
    response = client.get("/en/report/done/?download=1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert receipt in text and Report.objects.get().reference in text
    client.post("/en/report/done/", {"saved": "1"})
    assert receipt not in client.get("/en/report/done/?download=1").content.decode()
    assert Client().get("/en/report/done/?download=1").status_code == 302


def test_a_draft_sealed_under_a_removed_key_restarts_kindly(settings):
    from sigurnet.config import new_data_key

    client = Client()
    start_report(client)
    client.post("/en/report/where/", {"urls": "https://example.com/1"})
    settings.SIGURNET_DATA_KEYS = [new_data_key()]
    response = client.get("/en/report/details/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/en/report/"
    assert "We could not keep your earlier answers. Please start again." in (
        response.content.decode()
    )
    # Said once; the new report then goes on as usual.
    assert "We could not keep" not in client.get("/en/report/").content.decode()
    assert client.post("/en/report/", {"category": "other"}).status_code == 302


def test_a_confirmation_sealed_under_a_removed_key_is_not_an_error(settings):
    from sigurnet.config import new_data_key

    client = Client()
    file_report(client)
    settings.SIGURNET_DATA_KEYS = [new_data_key()]
    response = client.get("/en/report/done/")
    assert response.status_code == 200
    assert "it has reached us" in response.content.decode()


def errors_of(page: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary, page
    return re.findall(r'<a href="([^"]*)"', summary.group(0))


def test_every_error_in_the_summary_links_to_its_field():
    client = Client()
    page = client.post("/en/report/", {}).content.decode()
    assert errors_of(page) == ["#id_category_0"]
    assert re.search(r'<input type="radio"[^>]*id="id_category_0"[^>]*aria-invalid="true"', page)
    assert 'aria-describedby="id_category_helptext id_category_error"' in page
    assert 'id="id_category_error"' in page


def test_the_where_error_links_to_the_first_web_address_field_and_marks_it():
    client = Client()
    start_report(client)
    page = client.post("/en/report/where/", {"platform": "Instagram"}).content.decode()
    assert errors_of(page) == ["#id_urls"]
    urls = re.search(r"<textarea[^>]*name=\"urls\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in urls and "id_urls_error" in urls
    assert 'id="id_urls_error"' in page


def test_every_described_by_id_exists_and_no_id_is_used_twice():
    client = Client()
    start_report(client)
    pages = [
        client.post(
            "/en/report/where/", {"urls": "not a url\nftp://example.org/x"}
        ).content.decode()
    ]
    client.post("/en/report/where/", {"urls": "https://example.com/1"})
    client.post("/en/report/details/", {"description": "x"})
    pages.append(
        client.post("/en/report/you/", {"contact_email": "me@example.org"}).content.decode()
    )
    for page in pages:
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), ids
        for described in re.findall(r'aria-describedby="([^"]+)"', page):
            for target in described.split():
                assert target in ids, (target, page)
    assert page.count('class="error-message"') >= 1


def test_after_a_failed_submit_the_summary_comes_first_and_the_title_says_error():
    client = Client()
    page = client.post("/en/report/", {}).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.startswith("Error: ")
    main = page[page.index('<main id="main"') :]
    assert main.index('class="error-summary"') < main.index("<h1")
    assert 'tabindex="-1"' in main[: main.index("<h1")]


def test_titles_carry_the_step_and_the_check_page_is_not_the_status_page():
    client = Client()
    titles = []
    fill_until_check(client)
    for path in ("", "where/", "details/", "you/", "check/"):
        page = client.get(f"/en/report/{path}").content.decode()
        titles.append(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
    for number, title in enumerate(titles, start=1):
        assert f"Step {number} of 5" in title
    assert "Error" not in titles[0]


def test_the_category_hint_says_how_to_move_between_choices():
    page = Client().get("/en/report/").content.decode()
    assert "arrow keys" in page


def test_contact_fields_bring_the_right_keyboard_and_no_autofill():
    client = Client()
    start_report(client)
    client.post("/en/report/where/", {"urls": "https://example.com/1"})
    client.post("/en/report/details/", {"description": "x"})
    page = client.get("/en/report/you/").content.decode()
    email = re.search(r'<input[^>]*name="contact_email"[^>]*>', page).group(0)
    phone = re.search(r'<input[^>]*name="contact_phone"[^>]*>', page).group(0)
    assert 'inputmode="email"' in email and 'autocomplete="off"' in email
    assert 'inputmode="tel"' in phone and 'autocomplete="off"' in phone


def test_the_too_many_page_has_a_title(settings):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 0
    client = Client()
    fill_until_check(client)
    page = client.post("/en/report/check/").content.decode()
    assert "<title>Please wait a minute" in page


def test_a_change_on_the_check_page_that_needs_another_answer_asks_that_step_again():
    client = Client()
    start_report(client, "csam")
    client.post("/en/report/where/", {"urls": "https://example.net/x"})
    client.post("/en/report/details/", {"description": ""})  # optional for abuse material
    client.post("/en/report/you/", {})
    client.post("/en/report/?from=check", {"category": "cyberbullying"})
    response = client.get("/en/report/check/")
    assert response["Location"] == "/en/report/details/?from=check"
    response = client.post("/en/report/details/?from=check", {"description": ""})
    assert "Tell us in a few words what happened." in response.content.decode()
    response = client.post("/en/report/details/?from=check", {"description": "Mean posts."})
    assert response["Location"] == "/en/report/check/"
    assert "Mean posts." in client.get("/en/report/check/").content.decode()
