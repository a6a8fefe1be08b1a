"""A staff member signs in with password and TOTP code in a real browser (forms post with
the browser's own Origin and CSRF handling)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import STAFF_PASSWORD, current_code

pytestmark = pytest.mark.browser


def test_staff_signs_in_with_password_and_code(chromium: Any, base_url: str, make_staff) -> None:
    user = make_staff("Administrator", username="browser-admin")
    context = chromium.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{base_url}/staff/")
        tab.fill("input[name='username']", user.username)
        tab.fill("input[name='password']", STAFF_PASSWORD)
        tab.locator("main form button[type='submit']").click()
        tab.wait_for_url("**/staff/login/verify/**")
        tab.fill("input[name='token']", current_code(user))
        tab.locator("main form button[type='submit']").click()
        tab.wait_for_url(f"{base_url}/staff/")
        assert "browser-admin" in tab.locator("h1").inner_text()
    finally:
        context.close()
