"""An analyst holds notices about an address from a notice's page in a real browser (at the
police's request) and releases it again; the page passes axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sigurnet.hotline.models import ItemHold
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_triage_in_browser import sign_in
from tests.dispatch_factories import home_police, institution

pytestmark = pytest.mark.browser


def test_analyst_holds_and_releases_notices_about_an_address(
    chromium: Any, base_url: str, make_staff, make_dispatch, axe_js: Path, tmp_path: Path
) -> None:
    analyst = make_staff("Hotline analyst", username="zadrzava")
    host = institution("hosting_provider", "NL", name="Example Hosting B.V.")
    police = home_police()
    notice = make_dispatch(
        to=host, kind="takedown", urls=["https://a.example.com/1", "https://b.example.com/2"]
    )
    context = chromium.new_context(bypass_csp=True)
    try:
        tab = context.new_page()
        sign_in(tab, base_url, analyst)
        tab.goto(f"{base_url}/staff/hotline/dispatches/{notice.pk}/")
        row = tab.locator("tbody tr", has_text="https://b.example.com/2")
        row.get_by_label("Asked by").select_option(str(police.pk))
        row.get_by_label("Note").fill("<b>Istraga</b> u toku")
        row.get_by_role("button", name="Hold notices").click()
        tab.wait_for_url(f"**/dispatches/{notice.pk}/")
        assert "Notices about this address are held" in tab.locator(".messages").inner_text()
        row = tab.locator("tbody tr", has_text="https://b.example.com/2")
        assert f"asked by {police.name}" in row.inner_text()
        assert "<b>Istraga</b> u toku" in row.inner_text()  # the note stays text
        tab.screenshot(path=str(tmp_path / "held.png"), full_page=True)
        assert axe_violations(tab, axe_js) == []

        row.get_by_role("button", name="Release the hold").click()
        tab.wait_for_url(f"**/dispatches/{notice.pk}/")
        assert "The hold is released" in tab.locator(".messages").inner_text()
    finally:
        context.close()
    hold = ItemHold.objects.get()
    assert hold.requested_by == police and hold.released_by == analyst
