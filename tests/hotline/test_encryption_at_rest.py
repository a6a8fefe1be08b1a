"""What a reporter typed never lies in the database in the clear (checked on a real dump)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import requires_postgresql

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
        pytest.skip("needs pg_dump (apt-get install postgresql-client)")
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

    database = connection.settings_dict
    dump = subprocess.run(
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
    assert "SIG-" in dump  # the reports are in this dump
    for what, marker in MARKERS.items():
        assert marker not in dump, f"{what} found in plaintext in pg_dump"
