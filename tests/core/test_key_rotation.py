"""Rotating the data key keeps what reporters are in the middle of: drafts and the done page."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from sigurnet.config import new_data_key
from sigurnet.core import crypto
from sigurnet.hotline.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings, tmp_path):
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def rotate_reencrypt_and_remove_old_keys(settings) -> str:
    """The steps of the rotation procedure: new key first, reencrypt, old keys removed."""
    settings.SIGURNET_DATA_KEYS = [new_data_key(), *settings.SIGURNET_DATA_KEYS]
    out = io.StringIO()
    call_command("reencrypt", stdout=out)
    settings.SIGURNET_DATA_KEYS = settings.SIGURNET_DATA_KEYS[:1]
    return out.getvalue()


def test_a_half_filled_report_continues_after_key_rotation(settings):
    client = Client()
    client.post("/en/report/", {"category": "hate_speech"})
    client.post("/en/report/where/", {"urls": "https://example.org/rotated-marker"})
    client.post("/en/report/details/", {"description": "Typed before the rotation."})

    output = rotate_reencrypt_and_remove_old_keys(settings)

    response = client.get("/en/report/you/")
    assert response.status_code == 200  # not sent back to step 1
    client.post("/en/report/you/", {})
    check = client.get("/en/report/check/").content.decode()
    assert "example.org/rotated-marker" in check
    assert "Typed before the rotation." in check
    assert client.post("/en/report/check/").status_code == 302
    report = Report.objects.get()
    assert report.description == "Typed before the rotation."
    assert "sessions: 1 re-encrypted" in output


def test_the_done_page_still_shows_the_reference_after_key_rotation(settings):
    client = Client()
    client.post("/en/report/", {"category": "other"})
    client.post("/en/report/where/", {"urls": "https://example.org/done"})
    client.post("/en/report/details/", {"description": "x"})
    client.post("/en/report/you/", {})
    client.post("/en/report/check/")

    rotate_reencrypt_and_remove_old_keys(settings)

    response = client.get("/en/report/done/")
    assert response.status_code == 200
    assert Report.objects.get().reference in response.content.decode()


def test_a_second_reencrypt_finds_every_session_current(settings):
    client = Client()
    client.post("/en/report/", {"category": "hate_speech"})
    rotate_reencrypt_and_remove_old_keys(settings)
    out = io.StringIO()
    call_command("reencrypt", stdout=out)
    assert "sessions: 0 re-encrypted, 1 already current" in out.getvalue()


def test_a_session_value_under_a_removed_key_does_not_stop_the_rotation(settings):
    keys = settings.SIGURNET_DATA_KEYS
    settings.SIGURNET_DATA_KEYS = [new_data_key(), *keys]
    client = Client()
    client.post("/en/report/", {"category": "hate_speech"})
    settings.SIGURNET_DATA_KEYS = keys  # the draft's key was removed too early

    rotate_reencrypt_and_remove_old_keys(settings)  # does not raise

    with pytest.raises(crypto.UnknownKeyError, match="no key"):
        crypto.decrypt(client.session["hotline_report_draft"])


def test_a_value_under_a_removed_key_says_so_with_its_own_error(settings):
    sealed = crypto.encrypt("draft")
    settings.SIGURNET_DATA_KEYS = [new_data_key()]
    with pytest.raises(crypto.UnknownKeyError) as raised:
        crypto.decrypt(sealed)
    assert isinstance(raised.value, crypto.DecryptionError)  # old handlers still catch it
    tampered = crypto.encrypt("draft")[:-4] + "AAAA"
    with pytest.raises(crypto.DecryptionError) as raised:
        crypto.decrypt(tampered)
    assert not isinstance(raised.value, crypto.UnknownKeyError)
