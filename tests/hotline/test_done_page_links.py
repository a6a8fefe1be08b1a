"""The done page and the receipt file name the follow-up page by its own name."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.hotline.test_report_form import file_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings, tmp_path):
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("en", "Follow your report"),
        ("sr-latn", "Prati svoju prijavu"),
        ("sr", "Прати своју пријаву"),
        ("bs", "Prati svoju prijavu"),
    ],
)
def test_the_done_page_links_to_the_follow_up_page_by_its_name(language, name):
    client = Client()
    page = file_report(client, language)
    links = re.findall(rf'<a href="/{language}/report/status/">([^<]*)</a>', page)
    assert links == [name]
    # The page it leads to has that name as its heading.
    assert f"<h1>{name}</h1>" in client.get(f"/{language}/report/status/").content.decode()


def test_the_receipt_file_names_the_follow_up_page_by_its_name():
    client = Client()
    file_report(client)
    text = client.get("/en/report/done/?download=1").content.decode()
    assert "Follow your report: http" in text
    assert "Check your report" not in text
