"""Country names for ISO 3166-1 alpha-2 codes, in the platform's languages.

Django ships no list of countries, and none of the project's dependencies does (Babel is not
one of them): ``data/countries.json`` holds every officially assigned code, plus the codes that
the regional internet registries' data can name (``EU``, ``AP`` for a registry's region; ``XK``),
each in English and Serbian (Latin script), with the Bosnian name where it differs from the
Serbian one (``Njemačka``, ``Švicarska``). Serbian in Cyrillic script is made from the Latin
name (``core.script.latin_to_cyrillic``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import translation

from sigurnet.core.script import latin_to_cyrillic

DATA = Path(__file__).parent / "data" / "countries.json"


@cache
def _names() -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = json.loads(DATA.read_text(encoding="utf-8"))
    return names


@cache
def _cyrillic(code: str) -> str:
    return latin_to_cyrillic(_names()[code]["sr-latn"])


def country_name(code: str, language: str | None = None) -> str:
    """The name of the country ``code`` (e.g. "NL") in ``language`` (the active language when
    None): "Netherlands", "Holandija", "Холандија". An unknown code is returned as it is
    (upper-case); an empty one as ""."""
    code = (code or "").strip().upper()
    entry = _names().get(code)
    if entry is None:
        return code
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    if language in ("sr", "sr-cyrl") or language.startswith("sr-cyrl"):
        return _cyrillic(code)
    if language.startswith("sr"):
        return entry["sr-latn"]
    if language.startswith("bs"):
        return entry.get("bs", entry["sr-latn"])
    return entry["en"]


def country_label(code: str, language: str | None = None) -> str:
    """The name with the code, for staff pages: "Netherlands (NL)"; an unknown code alone
    ("ZZ"); "" for no code."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    name = country_name(code, language)
    return code if name == code else f"{name} ({code})"
