"""Four languages under URL prefixes, a switch that keeps the page, complete catalogues."""

from __future__ import annotations

import gettext
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from sigurnet.core.models import DeploymentProfile
from sigurnet.core.services import save_profile
from tests.conftest import skip_unless_ci

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "sigurnet" / "locale"
CATALOGUES = ["sr_Latn", "sr", "bs"]
HTML_LANG = {"en": "en", "sr-latn": "sr-Latn", "sr": "sr-Cyrl", "bs": "bs"}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sr-latn", "sr", "bs"])
def test_home_page_is_served_in_each_language(language):
    response = Client().get(f"/{language}/")
    assert response.status_code == 200
    assert f'<html lang="{HTML_LANG[language]}">' in response.content.decode()


@pytest.mark.django_db
def test_public_pages_speak_the_language_of_their_prefix():
    assert "Report content" in Client().get("/en/").content.decode()
    assert "Prijavi sadržaj" in Client().get("/sr-latn/").content.decode()
    assert "Пријави садржај" in Client().get("/sr/").content.decode()
    bosnian = Client().get("/bs/").content.decode()
    assert "Prijavi sadržaj" in bosnian and "dijete" in bosnian.lower()


@pytest.mark.django_db
def test_root_redirects_to_a_language():
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="bs")
    assert response.status_code == 302
    assert response["Location"] == "/bs/"


@pytest.mark.django_db
def test_language_switch_keeps_the_current_page():
    page = Client().get("/en/report/").content.decode()
    for code in ["sr-latn", "sr", "bs"]:
        assert f'href="/{code}/report/"' in page


@pytest.mark.django_db
def test_disabled_language_is_not_offered_and_redirects():
    save_profile(
        DeploymentProfile(
            centre_name="Centar",
            country="BA",
            enabled_languages=["bs", "en"],
            emergency_number="122",
        )
    )
    page = Client().get("/bs/help/").content.decode()
    assert 'href="/sr/help/"' not in page
    assert 'href="/en/help/"' in page
    response = Client().get("/sr/help/")
    assert response.status_code == 302
    assert response["Location"] == "/bs/help/"


@pytest.mark.django_db
def test_centre_name_is_shown_in_cyrillic_on_cyrillic_pages():
    save_profile(
        DeploymentProfile(
            centre_name="Centar za bezbedni internet",
            country="RS",
            enabled_languages=["en", "sr-latn", "sr", "bs"],
            emergency_number="192",
        )
    )
    assert "Центар за безбедни интернет" in Client().get("/sr/").content.decode()
    assert "Centar za bezbedni internet" in Client().get("/sr-latn/").content.decode()


def po_messages(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a catalogue, via msgfmt/msgunfmt-free parsing of the compiled file."""
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def test_every_string_in_the_code_is_translated_in_every_catalogue(tmp_path):
    """Extract strings from a copy of the code; no catalogue may lack one or hold a fuzzy one."""
    if shutil.which("msgattrib") is None:
        skip_unless_ci("needs gettext (apt-get install gettext)")
    copy = tmp_path / "sigurnet"
    shutil.copytree(REPO / "sigurnet", copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {**os.environ, "SIGURNET_DEBUG": "1", "SIGURNET_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONPATH"] = str(tmp_path)
    args = [sys.executable, "-m", "sigurnet", "makemessages", "--no-location", "--ignore=var"]
    for catalogue in CATALOGUES:
        args += ["-l", catalogue]
    subprocess.run(args, cwd=tmp_path, env=env, check=True, capture_output=True)
    problems = []
    for catalogue in CATALOGUES:
        po = copy / "locale" / catalogue / "LC_MESSAGES" / "django.po"
        for flag, what in [("--untranslated", "untranslated"), ("--only-fuzzy", "fuzzy")]:
            out = subprocess.run(
                ["msgattrib", flag, "--no-obsolete", str(po)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            ids = [line for line in out.splitlines() if line.startswith("msgid ")][1:]
            if ids:
                problems.append(f"{catalogue}: {len(ids)} {what}, e.g. {ids[:3]}")
    assert not problems, "Run `make messages` and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_compiled_catalogues_match_their_sources(catalogue):
    """The committed .mo holds every translation of its .po (`make messages` compiles them)."""
    folder = LOCALE / catalogue / "LC_MESSAGES"
    compiled = po_messages(folder / "django.mo")
    if shutil.which("msgfmt") is None:
        skip_unless_ci("needs gettext (apt-get install gettext)")
    result = subprocess.run(
        ["msgfmt", "-o", "-", str(folder / "django.po")], capture_output=True, check=True
    )
    fresh = gettext.GNUTranslations(io.BytesIO(result.stdout))._catalog  # type: ignore[attr-defined]
    assert compiled == fresh
