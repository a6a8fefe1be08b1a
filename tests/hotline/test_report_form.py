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
    # Shown once: a reload shows the reference, not the receipt.
    again = client.get("/en/report/done/").content.decode()
    assert report.reference in again and receipt not in again


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
