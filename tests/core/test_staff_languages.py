"""Staff pages in Serbian and Bosnian: how staff choose the language, what the pages say, the
words for signing in and for a report, and the audit trail counting its own reading."""

from __future__ import annotations

import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

from sigurnet.core.models import AuditEvent
from sigurnet.core.services import record_audit_event
from tests.conftest import STAFF_PASSWORD, current_code

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "sigurnet" / "locale"
CATALOGUES = {"sr-latn": "sr_Latn", "sr": "sr", "bs": "bs"}


def catalogue(directory: str) -> dict[str, list[str]]:
    """msgid -> its translations (one, or one per plural form), from the compiled catalogue."""
    with (LOCALE / directory / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        raw = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    entries: dict[str, list[str]] = {}
    for key, text in raw.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid:
            entries.setdefault(msgid.split("\x04")[-1], []).append(text)
    return entries


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._hidden += 1
        values = dict(attrs)
        # What a reader meets besides text: labels read aloud, placeholders, button values.
        for name in ("aria-label", "placeholder", "alt"):
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " \n ".join(parser.parts)


def choose_language(client: Client, language: str, page: str = "/staff/login/") -> None:
    """The language switch on every staff page, as a staff member uses it."""
    response = client.post("/staff/language/", {"language": language, "next": page})
    assert response.status_code == 302 and response["Location"] == page


# --- How staff choose their language -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("sr-latn", "Pristup za osoblje"), ("sr", "Приступ за особље"), ("bs", "Pristup za osoblje")],
)
def test_the_language_switch_on_the_sign_in_page_sets_the_staff_language(language, words):
    client = Client()
    page = client.get("/staff/login/").content.decode()
    assert "Staff sign-in" in page and 'name="language"' in page
    choose_language(client, language)
    page = client.get("/staff/login/").content.decode()
    assert words in page and "Staff sign-in" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("sr-Latn-RS,sr;q=0.8", "Pristup za osoblje"),
        ("sr-RS", "Приступ за особље"),
        ("bs-BA,bs;q=0.9,en;q=0.5", "Pristup za osoblje"),
    ],
)
def test_without_a_choice_the_browser_language_is_used(header, words):
    page = Client().get("/staff/login/", HTTP_ACCEPT_LANGUAGE=header).content.decode()
    assert words in page


def test_the_choice_outlasts_the_sign_in_and_works_before_the_second_factor(make_staff):
    user = make_staff("Administrator", username="biljana")
    client = Client()
    client.post("/staff/login/", {"username": user.username, "password": STAFF_PASSWORD})
    choose_language(client, "bs", page="/staff/login/verify/")
    page = client.get("/staff/login/verify/").content.decode()
    assert "Unesite kod" in page and "Enter your code" not in page
    client.post("/staff/login/verify/", {"token": current_code(user)})
    page = client.get("/staff/").content.decode()
    assert "Dobro došli, biljana" in page


# --- Every staff page, in Serbian and Bosnian ---------------------------------------------------

# English that the pages showed before, or could show: action and device names, detail labels,
# and the fixed words of the staff pages.
KNOWN_ENGLISH = [
    "Password accepted",
    "Signed in with the second factor",
    "Wrong password",
    "Wrong code for the second factor",
    "Authenticator app set up",
    "New backup codes made",
    "Audit trail viewed",
    "Changed in the administration",
    "Authenticator app",
    "Backup codes",
    "Device",
    "Username",
    "Scope",
    "this network address",
    "Audit trail",
    "Overview",
    "Sign out",
    "Sign in",
    "Staff",
    "Language",
    "events",
    "Any action",
    "auth.second_factor_verified",
    "auth.login",
    "audit.viewed",
    "username_hash",
    "Old password",
    "New password",
    "Your password",
    "Enter the same password as before",
]


def _sign_in_in(client: Client, user: User, language: str) -> None:
    choose_language(client, language)
    client.post("/staff/login/", {"username": user.username, "password": STAFF_PASSWORD})
    client.post("/staff/login/verify/", {"token": current_code(user)})


def staff_pages(make_staff, language: str) -> dict[str, str]:
    """Every staff page as a staff member sees it after choosing ``language``."""

    def page(response: HttpResponse, status: int = 200) -> str:
        assert response.status_code == status, (response, response.get("Location"))
        return response.content.decode()

    pages: dict[str, str] = {}
    anonymous = Client()
    choose_language(anonymous, language)
    pages["sign-in"] = page(anonymous.get("/staff/login/"))
    wrong = {"username": "nobody", "password": "wrong"}
    pages["wrong password"] = page(anonymous.post("/staff/login/", wrong))
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 2):
        anonymous.post("/staff/login/", wrong)
    pages["locked out"] = page(anonymous.post("/staff/login/", wrong), status=429)

    newcomer = make_staff("Administrator", username="novajlija", device=False)
    client = Client()
    choose_language(client, language)
    client.post("/staff/login/", {"username": newcomer.username, "password": STAFF_PASSWORD})
    pages["enrolment"] = page(client.get("/staff/login/enrol/"))
    pages["wrong enrolment code"] = page(client.post("/staff/login/enrol/", {"token": "000000"}))

    forgetful = make_staff("Hotline analyst", username="zaboravni")
    client = Client()
    choose_language(client, language)
    client.post("/staff/login/", {"username": forgetful.username, "password": STAFF_PASSWORD})
    pages["wrong code"] = page(client.post("/staff/login/verify/", {"token": "000000"}))

    admin = make_staff("Administrator", username="admin-ana")
    client = Client()
    choose_language(client, language)
    client.post("/staff/login/", {"username": admin.username, "password": STAFF_PASSWORD})
    pages["second factor"] = page(client.get("/staff/login/verify/"))
    client.post("/staff/login/verify/", {"token": current_code(admin)})
    pages["dashboard"] = page(client.get("/staff/"))
    pages["backup codes"] = page(client.post("/staff/account/backup-codes/"))
    pages["password change"] = page(client.get("/staff/account/password/"))
    pages["wrong password change"] = page(
        client.post("/staff/account/password/", {"old_password": "x", "new_password1": "a"})
    )
    record_audit_event("admin.changed", actor=admin, object_type="auth.user", object_id=1)
    pages["audit trail"] = page(client.get("/staff/audit/"))
    pages["audit trail, filtered"] = page(
        client.get("/staff/audit/", {"action": "auth.second_factor_verified"})
    )
    return pages


@pytest.mark.parametrize("language", ["sr-latn", "bs"])
def test_every_staff_page_speaks_the_chosen_language(make_staff, language):
    translations = catalogue(CATALOGUES[language])
    # Every English sentence of the catalogue whose translation differs from it.
    english = {
        msgid
        for msgid, texts in translations.items()
        if " " in msgid and "%" not in msgid and "{" not in msgid and msgid not in texts
    }
    for name, html in staff_pages(make_staff, language).items():
        text = visible_text(html)
        left = [s for s in KNOWN_ENGLISH if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]
        left += [s for s in english if s in text]
        assert not left, f"{language}, {name}: English left: {left}\n{text}"


@pytest.mark.parametrize("language", ["sr-latn", "bs"])
def test_the_audit_trail_names_actions_and_devices_in_the_chosen_language(make_staff, language):
    pages = staff_pages(make_staff, language)
    trail = visible_text(pages["audit trail"])
    expected = {
        "sr-latn": ["Pristup odobren uz drugi faktor", "Aplikacija za autentifikaciju", "Uređaj"],
        "bs": ["Pristup odobren uz drugi faktor", "Aplikacija za autentikaciju", "Uređaj"],
    }[language]
    for words in expected:
        assert words in trail
    filtered = pages["audit trail, filtered"]
    # The filter offers the actions by name, and keeps the stable code as the value.
    assert 'value="auth.second_factor_verified" selected' in filtered
    assert expected[0] in visible_text(filtered)


# --- Words: a report is "prijava", signing in never is --------------------------------------------

SIGN_IN = re.compile(r"sign[ -]?in|log[ -]?in|signed in", re.IGNORECASE)
REPORT = re.compile(r"report", re.IGNORECASE)
# The reflexive verb and the verbal noun only ever mean signing in.
SIGN_IN_VERB = re.compile(r"(prijav|пријав)\w*\s+(se|се)\b|prijavljivanj|пријављивањ", re.I)  # noqa: RUF001
# Messages about reports that must say "prijava" (a report), in every catalogue.
KEY_REPORT_MESSAGES = [
    "report",
    "reports",
    "Send report",
    "Report sent",
    "Check your report",
    "Report %(reference)s",
    "Urgent report %(reference)s",
    "We received your report (%(reference)s)",
]


@pytest.mark.parametrize("directory", sorted(CATALOGUES.values()))
def test_no_translation_about_signing_in_uses_the_word_for_a_report(directory):
    wrong = []
    for msgid, texts in catalogue(directory).items():
        for text in texts:
            about_sign_in = SIGN_IN.search(msgid)
            if SIGN_IN_VERB.search(text) or (
                about_sign_in
                and not REPORT.search(msgid)
                and re.search("prijav|пријав", text, re.I)
            ):
                wrong.append((msgid, text))
    assert not wrong, wrong


@pytest.mark.parametrize("directory", sorted(CATALOGUES.values()))
def test_key_messages_about_reports_say_prijava(directory):
    entries = catalogue(directory)
    for msgid in KEY_REPORT_MESSAGES:
        assert msgid in entries, msgid
        for text in entries[msgid]:
            assert re.search("prijav|пријав", text, re.IGNORECASE), (msgid, text)


def test_the_glossary_of_the_staff_guide_gives_the_words_the_catalogues_use():
    guide = (REPO / "docs" / "user-guide-staff.md").read_text()
    section = guide.split("## Words", 1)[1]
    for line in ["| sign in |", "| sign-in |", "| report |", "| sign out |"]:
        assert line in section
    serbian, bosnian = catalogue("sr_Latn"), catalogue("bs")
    assert serbian["Staff sign-in"] == ["Pristup za osoblje"]
    assert bosnian["Staff sign-in"] == ["Pristup za osoblje"]
    assert "Pristup za osoblje" in section


# --- The audit trail counts its own reading -------------------------------------------------------


def test_the_audit_trail_counts_and_lists_the_reading_it_records(signed_in):
    client = signed_in("Administrator", username="revizor")
    for number in range(3):
        record_audit_event("admin.changed", object_type="auth.user", object_id=number)
    response = client.get("/staff/audit/")
    total = AuditEvent.objects.count()
    page = response.content.decode()
    assert f"{total} events" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == total
    newest = page.split("<tbody>")[1].split("</tr>")[0]
    assert "Audit trail viewed" in newest and "revizor" in newest


@pytest.mark.parametrize(
    ("language", "name"),
    [("sr-latn", "Aplikacija za autentifikaciju"), ("bs", "Aplikacija za autentikaciju")],
)
def test_the_administration_lists_sign_in_devices_by_name_in_the_chosen_language(
    make_staff, language, name
):
    admin = make_staff("Administrator", username="admin-ana")
    client = Client()
    _sign_in_in(client, admin, language)
    response = client.get("/admin/otp_totp/totpdevice/")
    assert response.status_code == 200
    cells = re.findall(r'<td class="field-device_name">([^<]*)</td>', response.content.decode())
    assert cells == [name]
