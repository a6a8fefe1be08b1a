"""A contact person answers a dispatch through its signed link in a real browser, without
JavaScript: the page's referrer policy keeps the form's CSRF check working (a "no-referrer"
page makes Chromium send "Origin: null", which Django refuses), and the page passes axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sigurnet.hotline.models import Dispatch
from tests.browser.test_accessibility import axe_violations, describe
from tests.dispatch_factories import link_in

pytestmark = pytest.mark.browser


def test_a_contact_person_acknowledges_and_records_an_outcome_in_the_browser(
    chromium: Any, base_url: str, make_dispatch: Any, axe_js: Path
) -> None:
    dispatch = make_dispatch(urls=["https://abuse.example.net/a"])
    link = base_url + link_in(dispatch.body)

    context = chromium.new_context(java_script_enabled=False)
    tab = context.new_page()
    response = tab.goto(link)
    assert response is not None and response.headers["referrer-policy"] == "strict-origin"
    assert tab.locator("a[href*='abuse.example.net']").count() == 0  # text, not a link
    tab.locator("form:has(input[value='acknowledge']) button").click()
    tab.wait_for_url("**?done=acknowledged")
    tab.locator("input[value='removed']").check()
    tab.fill("textarea[name='note']", "Removed on 2 May")
    tab.locator("form:has(input[value='outcome']) button").click()
    tab.wait_for_url("**?done=outcome")
    context.close()
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.CLOSED and dispatch.outcome == "removed"
    assert dispatch.acknowledged_via == "link" and dispatch.outcome_note == "Removed on 2 May"

    with_js = chromium.new_context(bypass_csp=True)  # to inject axe-core
    tab = with_js.new_page()
    tab.goto(link)
    violations = axe_violations(tab, axe_js)
    with_js.close()
    assert not violations, "\n".join(describe(link, v) for v in violations)
