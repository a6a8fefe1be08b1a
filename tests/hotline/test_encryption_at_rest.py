"""What a reporter typed never lies in the database in the clear (checked on a real dump)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.models import Evidence, Report
from tests.conftest import requires_postgresql, skip_unless_ci

MARKERS = {
    "description": "descmarker7q2x",
    "url": "urlmarker7q2x",
    "email": "mailmarker7q2x",
    "account": "acctmarker7q2x",
}


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_pg_dump_holds_no_marker_of_a_report(settings):
    if shutil.which("pg_dump") is None:
        skip_unless_ci("needs pg_dump (apt-get install postgresql-client)")
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    # One report through the API ...
    response = Client().post(
        "/api/v1/reports",
        {
            "category": "ncii",
            "urls": [f"https://{MARKERS['url']}.example.com/p/{MARKERS['url']}"],
            "where": {"platform": "Instagram", "account": f"@{MARKERS['account']}"},
            "description": f"Someone shared my pictures {MARKERS['description']}",
            "contact": {"email": f"{MARKERS['email']}@example.org", "consent": True},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    # ... and one through the web form, whose draft lives in the session meanwhile.
    web = Client()
    for path, data in [
        ("", {"category": "cyberbullying"}),
        ("where/", {"urls": f"https://{MARKERS['url']}.example.net/"}),
        ("details/", {"description": MARKERS["description"]}),
        ("you/", {"contact_email": f"{MARKERS['email']}@example.org", "contact_consent": "on"}),
    ]:
        assert web.post(f"/en/report/{path}", data).status_code == 302
    assert web.post("/en/report/check/").status_code == 302

    dump = pg_dump()
    assert "SIG-" in dump  # the reports are in this dump
    for what, marker in MARKERS.items():
        assert marker not in dump, f"{what} found in plaintext in pg_dump"


def sessions_in(dump: str) -> dict[str, str]:
    """Each session row of a dump, decoded (its values as JSON text)."""
    from django.contrib.sessions.backends.db import SessionStore

    rows = dump.split("COPY public.django_session ", 1)[1].split("\n\\.\n", 1)[0]
    decoded = {}
    for line in rows.splitlines()[1:]:
        key, data, _expires = line.split("\t")
        decoded[key] = json.dumps(SessionStore().decode(data))
    return decoded


def pg_dump() -> str:
    database = connection.settings_dict
    return subprocess.run(
        [
            "pg_dump",
            "-h",
            database["HOST"] or "127.0.0.1",
            "-p",
            str(database["PORT"] or 5432),
            "-U",
            database["USER"] or "postgres",
            database["NAME"],
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_pg_dump_holds_no_marker_of_a_report_still_being_written(settings, tmp_path):
    if shutil.which("pg_dump") is None:
        skip_unless_ci("needs pg_dump (apt-get install postgresql-client)")
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    markers = {**MARKERS, "file name": "filemarker7q2x", "file content": "contentmarker7q2x"}
    web = Client()
    evidence = io.BytesIO(f"What they wrote: {markers['file content']}".encode())
    evidence.name = f"{markers['file name']}.txt"
    for path, data in [
        ("", {"category": "cyberbullying"}),
        (
            "where/",
            {
                "urls": f"https://{markers['url']}.example.net/{markers['url']}",
                "platform": "Instagram",
                "account": f"@{markers['account']}",
            },
        ),
        ("details/", {"description": markers["description"], "evidence": evidence}),
        ("you/", {"contact_email": f"{markers['email']}@example.org", "contact_consent": "on"}),
    ]:
        assert web.post(f"/en/report/{path}", data).status_code == 302, path
    # In progress: not sent, the draft in the session and the file already stored.
    assert not Report.objects.exists()
    assert Evidence.objects.filter(report__isnull=True).count() == 1
    session_key = web.cookies["sessionid"].value
    assert Session.objects.filter(session_key=session_key).exists()
    assert markers["url"] in web.get("/en/report/check/").content.decode()  # the draft is whole

    dump = pg_dump()
    assert session_key in dump  # the draft's session row is in this dump
    # Session data is only signed and base64-encoded (often compressed first): read each row
    # of the dump as Django would, and look in what it holds too.
    sessions = sessions_in(dump)
    assert session_key in sessions
    for what, marker in markers.items():
        assert marker not in dump, f"{what} found in plaintext in pg_dump"
        for key, data in sessions.items():
            assert marker not in data, f"{what} found in plaintext in session {key}"
    stored = evidence_files.evidence_root() / Evidence.objects.get().storage_name
    assert markers["file content"].encode() not in stored.read_bytes()
