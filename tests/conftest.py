"""Shared fixtures: staff members in a role, signed in with their second factor."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core.roles import ROLES_BY_NAME, sync_roles
from sigurnet.core.selectors import forget_profile

STAFF_PASSWORD = "a-long-test-password-1"

# Fixtures of dispatches and handovers (issue 14), for tests/core, tests/hotline and tests/browser.
pytest_plugins = ["tests.dispatch_factories"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Rate limits, lockouts and the cached profile must not leak from one test to the next.
    cache.clear()
    forget_profile()


@pytest.fixture
def make_staff(db: Any) -> Callable[..., User]:
    """Create a staff member in a role; with ``device=True`` they have a confirmed TOTP app."""
    sync_roles()

    def make(role: str = "Administrator", username: str = "", device: bool = True) -> User:
        name = username or role.lower().replace(" ", "-")
        user = User.objects.create_user(
            username=name,
            email=f"{name}@example.org",
            password=STAFF_PASSWORD,
            is_staff=ROLES_BY_NAME[role].uses_admin_site,
        )
        user.groups.add(Group.objects.get(name=role))
        if device:
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        return user

    return make


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def signed_in(make_staff: Callable[..., User]) -> Callable[..., Client]:
    """A client signed in as a new staff member of ``role``, second factor passed."""

    def sign_in(role: str = "Administrator", username: str = "") -> Client:
        user = make_staff(role, username=username)
        client = Client()
        response = client.post(
            "/staff/login/", {"username": user.username, "password": STAFF_PASSWORD}
        )
        assert response.status_code == 302, response.content
        response = client.post("/staff/login/verify/", {"token": current_code(user)})
        assert response.status_code == 302, response.content
        client.user = user  # type: ignore[attr-defined]
        return client

    return sign_in


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


requires_postgresql = pytest.mark.skipif(
    "os.environ.get('DATABASE_URL', '').startswith('sqlite') or not os.environ.get('DATABASE_URL')",
    reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)",
)

if os.environ.get("SIGURNET_REQUIRE_POSTGRES") and not os.environ.get(
    "DATABASE_URL", ""
).startswith("postgres"):
    raise pytest.UsageError("SIGURNET_REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")


def skip_unless_ci(reason: str) -> None:
    """Skip a test whose tool or service is missing here; in CI (CI=true) fail instead, so a
    missing install step never hides as a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} - CI must provide it", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(server: subprocess.Popen[Any], port: int, name: str) -> None:
    """Wait up to 30 s for a server process to accept connections; fail the test otherwise."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    server.kill()
    _out, err = server.communicate()
    detail = err[-2000:] if isinstance(err, str) else ""
    pytest.fail(f"{name} did not start: {detail}")


# --- Hotline triage (issue 13): reports as analysts find them ------------------------------


@pytest.fixture
def make_report(db: Any) -> Callable[..., Any]:
    """File a report through ``hotline.services.file_report`` (the one way in); keyword
    arguments go to ``ReportSubmission``, ``channel`` to the filing."""
    from sigurnet.hotline import services

    def make(channel: str = "web", **fields: Any) -> Any:
        fields.setdefault("category", "phishing_fraud")
        fields.setdefault("language", "sr-latn")
        fields.setdefault("urls", ["https://shop.example.com/offer"])
        fields.setdefault("description", "Lažna prodavnica traži podatke kartice.")
        return services.file_report(services.ReportSubmission(**fields), channel=channel).report

    return make


# --- Hotline settings (issue 13): the supervisors' settings must not leak between tests -----


@pytest.fixture(autouse=True)
def _fresh_hotline_settings() -> None:
    from sigurnet.hotline.triage.selectors import forget_hotline_settings

    forget_hotline_settings()


# A request through the test client leaves its language active in the test's thread (Django's
# LocaleMiddleware activates it per request and nothing resets it): start every test from the
# default, so that no test depends on which language the one before it used.
@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
