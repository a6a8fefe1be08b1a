"""Serbian script conversion: Latin (Gaj's alphabet) to Cyrillic and back.

The Serbian Cyrillic gettext catalogue is generated from the Serbian Latin one with
:func:`transliterate_catalogue`, and :func:`latin_to_cyrillic` is also used at run time to show
Latin text (for instance the centre's name) on Cyrillic pages.

What :func:`latin_to_cyrillic` guarantees:

* every letter of Gaj's alphabet becomes its Cyrillic counterpart, the digraphs ``lj``, ``nj``
  and ``dž`` (in every case form, and the single-code-point ligatures ``ǉ ǌ ǆ``) become one letter
  (``љ њ џ``), except across the prefix boundary of the words of :data:`SPLIT_DIGRAPH_WORDS`
  (``injekcija`` -> ``инјекција``, ``nadživeti`` -> ``надживети``), in every case form;
* these are copied unchanged: Python and gettext placeholders (``%(name)s``, ``%s``, ``%%``,
  ``{name}``, ``{0}``), Django template tags (``{{ x }}``, ``{% x %}``), HTML tags with their
  attributes and HTML comments, HTML entities (``&amp;``, ``&#8212;``), URLs (``http://``,
  ``https://``, ``ftp://``, even a bare scheme with nothing after it, ``mailto:``, ``www.``,
  bare domain names under common top-level domains such as ``.rs`` and ``.ba``, and site paths
  such as ``/prijava/``), e-mail addresses, and the words of :data:`KEEP_LATIN`;
* foreign words, i.e. words containing ``q``, ``w``, ``x`` or ``y``, and Roman numerals
  (``II``, ``XXI``) stay wholly in Latin script, so no word comes out in mixed scripts;
* everything else (digits, punctuation, Cyrillic, other alphabets) is copied unchanged.

:func:`cyrillic_to_latin` is the simple exact reverse mapping, so for ordinary Serbian text
``cyrillic_to_latin(latin_to_cyrillic(text)) == text``.
"""

# This module is about Cyrillic letters, which look like Latin ones by design.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "KEEP_LATIN",
    "SPLIT_DIGRAPH_WORDS",
    "cyrillic_to_latin",
    "latin_to_cyrillic",
    "transliterate_catalogue",
]

#: Words that stay in Latin script in Cyrillic text: names of organisations, products and
#: technical acronyms. Matched as whole words, exactly as written or in all capitals
#: ("Sigurnet" also covers "SIGURNET"). A hyphenated Serbian ending is still converted:
#: "PDF-a" becomes "PDF-а".
KEEP_LATIN: frozenset[str] = frozenset(
    {
        # Organisations and the platform itself.
        "ICCAM",  # INHOPE's classification system (dispatches)
        "INHOPE",
        "Insafe",
        "NCMEC",
        "Sigurnet",
        # Technical terms and acronyms.
        "API",
        "CSAM",
        "CSV",
        "e-mail",
        "E-mail",
        "Esc",  # the label on the key
        "HTML",
        "HTTP",
        "HTTPS",
        "ID",
        "JSON",
        "PDF",
        "QR",
        "SOS",
        "TOTP",
        "URL",
        "URLs",
        "UUID",
        # Services whose names a letter-by-letter conversion would garble.
        "Discord",
        "Facebook",
        "Google",
        "Messenger",
        "Snapchat",
        "FreeOTP",
        "Aegis",
        "Authenticator",
        "Instagram",
        "TikTok",
        "Viber",
        "Roblox",
        "WhatsApp",
        "Telegram",
        "YouTube",
        # File formats and protocol words quoted in messages.
        "JPEG",
        "PNG",
        "GIF",
        "WebP",
        "Authorization",
        "Bearer",
        "TOKEN",
        # Two-letter country codes typed in forms (ISO 3166), always Latin.
        "RS",
        "BA",
    }
)

#: Words in which "nj" or "dž" are two letters (н+ј, д+ж), not one (њ, џ): the two sounds meet
#: at a morpheme boundary, after a prefix ending in "n" or "d" and before a root beginning with
#: "j" or "ž" (nad|živeti, od|žaliti, pod|županija; in|jekcija, kon|junkcija, van|jezički).
#: Keys are the prefixes, values the beginnings of the roots that follow them. A word matches
#: when it starts (case-insensitively) with prefix + root, possibly after "ne" or "iz"
#: (neodžaljen, izvanjezički); every inflected form shares the beginning (injekcijom,
#: nadživljavati). Only the boundary is kept apart: other digraphs of the word are joined as
#: usual (nad|žnjeti -> наджњети, nad|življavati -> надживљавати).
#:
#: Sources: Pravopis srpskoga jezika (Matica srpska, Novi Sad 2010), on the Latin digraphs:
#: lj, nj, dž are one letter each, except where the two sounds belong to two parts of a word,
#: as after the prefixes nad-, od-, pod-, pred- (nadživeti, odžaliti, podžupan, predželudac) and
#: in loan words with in-, kon-, van- (injekcija, konjunkcija, konjugacija, vanjezički); Ivan
#: Klajn, Rečnik jezičkih nedoumica (4th ed., Beograd), entries injekcija, konjugacija,
#: konjunktura; Nataša Mirković, "Jezikomanija: N + J = NJ ili NJ", Dnevnik (Novi Sad),
#: 11 Nov 2017 (the n+j group appears in no native word except the abbreviation Tanjug, from
#: "TelegrAfska agencija Nova JUGoslavija": Танјуг), and "Jezikomanija: Konjunktivitis ili
#: konjuktivitis?", Dnevnik, 5 Jun 2021 (konjunktura, konjunktiv, konjunktivitis, konjugacija;
#: no iotation at a prefix boundary). The roots were checked against the exception lists of
#: existing Serbian transliterators, and against words in which the same letters are one
#: sound and must stay so: njegov, konj, konjanik, konjak, kanjon, tanjir, vanjski (Croatian),
#: inje, džep, nadžak (наџак, from Turkish), odžak and odžačar (оџак, оџачар).
SPLIT_DIGRAPH_WORDS: dict[str, frozenset[str]] = {
    # n + j
    "an": frozenset({"jon"}),  # anjon (anion)
    "in": frozenset(
        {
            "jekc",  # injekcija
            "jekt",  # injektor, injektirati
            "jicir",  # injicirati
            "junk",  # injunkcija
            "jurij",  # injurija (an insult, in law)
        }
    ),
    "kon": frozenset(
        {
            "jug",  # konjugacija, konjugovati, konjugirati
            "junk",  # konjunkcija, konjunktura, konjunktiv, konjunktivitis
        }
    ),
    "pan": frozenset({"jelin", "jugoslov"}),  # panjelinski, panjugoslovenski
    "tan": frozenset({"jug"}),  # Tanjug (news agency), Tanjugov
    "van": frozenset({"jezi", "jugoslov"}),  # vanjezički, vanjugoslovenski
    # d + ž
    "feld": frozenset({"žandar"}),  # feldžandarm, feldžandarmerija
    "nad": frozenset(
        {
            "ždrel",  # nadždrelni
            "žet",  # nadžeti
            "živ",  # nadživeti, nadživjeti, nadživljavati
            "žnj",  # nadžnjeti
        }
    ),
    "od": frozenset(
        {
            "žal",  # odžaliti, odžaljen
            "živ",  # odživeti, odživljavati
            "žubor",  # odžuboriti
            "žvak",  # odžvakati
        }
    ),
    "pod": frozenset(
        {
            "žanr",  # podžanr
            "žar",  # podžariti, podžarivati
            "želu",  # podželudačni, podželudačna žlezda
            "žet",  # podžeti
            "žeć",  # podžeći
            "žež",  # podžežen
            "žig",  # podžigati, podžigač
            "žnj",  # podžnjeti
            "žup",  # podžupan, podžupanija
        }
    ),
    "pred": frozenset(
        {
            "želu",  # predželudac, predželuca (the d drops in inflection)
            "žetv",  # predžetveni
        }
    ),
}

# Prefixes that may come before a word of SPLIT_DIGRAPH_WORDS: ne-odžaljen, iz-vanjezički.
_OUTER_PREFIXES = ("ne", "iz")
# Matches the beginning of a word up to the boundary that must not be joined.
_SPLIT_DIGRAPH_RE = re.compile(
    "(?:"
    + "|".join(_OUTER_PREFIXES)
    + ")?(?:"
    + "|".join(
        f"{prefix}(?=(?:{'|'.join(sorted(roots))}))"
        for prefix, roots in sorted(SPLIT_DIGRAPH_WORDS.items())
    )
    + ")",
    re.IGNORECASE,
)

_LATIN_TO_CYRILLIC: dict[str, str] = {
    "a": "а",
    "b": "б",
    "c": "ц",
    "č": "ч",
    "ć": "ћ",
    "d": "д",
    "đ": "ђ",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "ј",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "š": "ш",
    "t": "т",
    "u": "у",
    "v": "в",
    "z": "з",
    "ž": "ж",
}
_LATIN_TO_CYRILLIC.update({k.upper(): v.upper() for k, v in list(_LATIN_TO_CYRILLIC.items())})
# Single-code-point digraph ligatures (Unicode Latin Extended-B).
_LATIN_TO_CYRILLIC.update(
    {
        "Ǆ": "Џ",
        "ǅ": "Џ",
        "ǆ": "џ",
        "Ǉ": "Љ",
        "ǈ": "Љ",
        "ǉ": "љ",
        "Ǌ": "Њ",
        "ǋ": "Њ",
        "ǌ": "њ",
    }
)
_LATIN_SINGLE_TABLE = str.maketrans(_LATIN_TO_CYRILLIC)

# Digraphs in any case form; the case of the first letter decides the case of the result.
_DIGRAPH_RE = re.compile(r"[lL][jJ]|[nN][jJ]|[dD][žŽ]")
_DIGRAPHS: dict[str, str] = {"lj": "љ", "nj": "њ", "dž": "џ"}

_CYRILLIC_TO_LATIN: dict[str, str] = {v: k for k, v in _LATIN_TO_CYRILLIC.items() if len(k) == 1}
for _latin, _cyrillic in _DIGRAPHS.items():
    _CYRILLIC_TO_LATIN[_cyrillic] = _latin
_CYRILLIC_DIGRAPH_UPPER: dict[str, tuple[str, str]] = {
    "Љ": ("Lj", "LJ"),
    "Њ": ("Nj", "NJ"),
    "Џ": ("Dž", "DŽ"),
}
# The ligatures map to Cyrillic too, but the reverse must give the two-letter forms.
for _cyrillic in _CYRILLIC_DIGRAPH_UPPER:
    _CYRILLIC_TO_LATIN.pop(_cyrillic, None)
_CYRILLIC_SINGLE_TABLE = str.maketrans(_CYRILLIC_TO_LATIN)

_TLDS = "rs|ba|me|hr|si|mk|eu|com|org|net|info|gov|edu|int|io"
_PROTECTED_PATTERNS: tuple[str, ...] = (
    r"<!--.*?-->",  # HTML comment
    r"<[A-Za-z/!?][^<>]*>",  # HTML tag with its attributes
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}",  # Django template variable, tag, comment
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",  # e-mail address
    # URL, also a bare scheme ("It starts with https://").
    r"\b(?:https?|ftp)://[^\s<>\"']*|\bmailto:[^\s<>\"']+|\bwww\.[^\s<>\"']+",
    # Bare domain name such as "sigurnet.rs/prijava" (lower case only).
    rf"(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>\"']*)?",
    # Site path such as "/prijava/novi/" (not "i/ili": it must not follow a letter or digit).
    r"(?<![\w/])/[A-Za-z0-9._~%-]+(?:/[A-Za-z0-9._~%-]*)*",
    r"\{[^{}\s]*\}",  # str.format placeholder: {name}, {0}, {}, {0:>3}
    # printf-style placeholder: %(name)s, %s, %d, %5.2f, %%
    r"%(?:\([^()]*\))?[-#0+]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsab%]",
    r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);",  # HTML entity
)
_PROTECTED_RE = re.compile("|".join(_PROTECTED_PATTERNS), re.DOTALL)
_KEEP_LATIN_RE = re.compile(
    r"(?<!\w)(?:"
    + "|".join(
        re.escape(word)
        for word in sorted(KEEP_LATIN | {w.upper() for w in KEEP_LATIN}, key=len, reverse=True)
    )
    + r")(?!\w)"
)
# A word: letters, possibly joined by hyphens ("Wi-Fi", "crno-beli").
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_FOREIGN_LETTERS = frozenset("qwxyQWXY")
_ROMAN_RE = re.compile(r"M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
# Valid Roman numerals that are also Serbian words written in capitals.
_ROMAN_LOOKALIKES = frozenset({"DI", "DIV", "LI", "MI", "VI"})


def _convert_letters(text: str, *, digraphs: bool) -> str:
    """Convert Latin letters to Cyrillic, joining digraphs into one letter if asked."""
    if digraphs:
        text = _DIGRAPH_RE.sub(
            lambda m: (
                _DIGRAPHS[m.group().lower()].upper()
                if m.group()[0].isupper()
                else _DIGRAPHS[m.group().lower()]
            ),
            text,
        )
    return text.translate(_LATIN_SINGLE_TABLE)


def _is_roman_numeral(word: str) -> bool:
    return len(word) >= 2 and word not in _ROMAN_LOOKALIKES and bool(_ROMAN_RE.fullmatch(word))


def _convert_word(word: str) -> str:
    if _FOREIGN_LETTERS.intersection(word) or _is_roman_numeral(word):
        return word
    boundary = _SPLIT_DIGRAPH_RE.match(word)
    if boundary:
        head, tail = word[: boundary.end()], word[boundary.end() :]
        return _convert_letters(head, digraphs=True) + _convert_letters(tail, digraphs=True)
    return _convert_letters(word, digraphs=True)


def _convert_word_match(match: re.Match[str]) -> str:
    return _convert_word(match.group())


def _convert_plain(text: str) -> str:
    """Convert text that contains no protected span, word by word."""
    text = unicodedata.normalize("NFC", text)
    parts: list[str] = []
    position = 0
    for match in _KEEP_LATIN_RE.finditer(text):
        parts.append(
            _WORD_RE.sub(lambda m: _convert_word(m.group()), text[position : match.start()])
        )
        parts.append(match.group())
        position = match.end()
    parts.append(_WORD_RE.sub(lambda m: _convert_word(m.group()), text[position:]))
    return "".join(parts)


def latin_to_cyrillic(text: str) -> str:
    """Return ``text`` with Serbian Latin script converted to Serbian Cyrillic.

    Placeholders, markup, entities, URLs, e-mail addresses, :data:`KEEP_LATIN` words, foreign
    words (containing q, w, x or y) and Roman numerals are copied unchanged; see the module
    documentation for the exact rules. Text already in Cyrillic is returned unchanged.
    """
    parts: list[str] = []
    position = 0
    for match in _PROTECTED_RE.finditer(text):
        parts.append(_convert_plain(text[position : match.start()]))
        parts.append(match.group())
        position = match.end()
    parts.append(_convert_plain(text[position:]))
    return "".join(parts)


def _is_upper_letter(char: str) -> bool:
    return char.isalpha() and char.isupper()


def cyrillic_to_latin(text: str) -> str:
    """Return ``text`` with Serbian Cyrillic script converted to Serbian Latin.

    The mapping is letter for letter; ``љ њ џ`` become ``lj nj dž``. A capital ``Љ Њ Џ``
    becomes ``LJ NJ DŽ`` when the next letter is a capital, or when it ends a word whose
    previous letter is a capital (an all-caps word), and ``Lj Nj Dž`` otherwise. Any other
    character, including other Cyrillic alphabets' letters, is copied unchanged.
    """
    if not any(char in _CYRILLIC_DIGRAPH_UPPER for char in text):
        return text.translate(_CYRILLIC_SINGLE_TABLE)
    parts: list[str] = []
    for index, char in enumerate(text):
        forms = _CYRILLIC_DIGRAPH_UPPER.get(char)
        if forms is None:
            parts.append(char.translate(_CYRILLIC_SINGLE_TABLE))
            continue
        following = text[index + 1] if index + 1 < len(text) else ""
        previous = text[index - 1] if index > 0 else ""
        all_caps = following.isupper() if following.isalpha() else _is_upper_letter(previous)
        parts.append(forms[1] if all_caps else forms[0])
    return "".join(parts)


# --- Gettext catalogues ----------------------------------------------------------------------

_ESCAPES: dict[str, str] = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "?": "?",
}
_ESCAPE_RE = re.compile(r"\\(?:([ntrabfv\\\"'?])|([0-7]{1,3})|x([0-9A-Fa-f]+)|(.))", re.DOTALL)
_ENCODE: dict[str, str] = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
}
_KEYWORD_RE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s*(".*)$')
_WRAP_WIDTH = 79


class CatalogueError(ValueError):
    """The .po file could not be parsed."""


def _unquote(literal: str, line_number: int) -> str:
    """Decode one C-style quoted string literal as found in a .po file."""
    literal = literal.strip()
    if len(literal) < 2 or not (literal.startswith('"') and literal.endswith('"')):
        raise CatalogueError(f"line {line_number}: expected a quoted string, got {literal!r}")
    body = literal[1:-1]

    def decode(match: re.Match[str]) -> str:
        simple, octal, hexa, unknown = match.groups()
        if simple is not None:
            return _ESCAPES[simple]
        if octal is not None:
            return chr(int(octal, 8))
        if hexa is not None:
            return chr(int(hexa, 16))
        raise CatalogueError(f"line {line_number}: unknown escape sequence \\{unknown}")

    if re.search(r'(?<!\\)(?:\\\\)*"', body):
        raise CatalogueError(f"line {line_number}: unescaped quote in {literal!r}")
    return _ESCAPE_RE.sub(decode, body)


def _quote(text: str) -> str:
    return '"' + "".join(_ENCODE.get(char, char) for char in text) + '"'


def _chunks(text: str) -> list[str]:
    """Split ``text`` after each newline and at spaces so that quoted lines fit the width."""
    pieces = re.findall(r"[^\n]*\n|[^\n]+", text)
    chunks: list[str] = []
    limit = _WRAP_WIDTH - 2  # the quotes
    for piece in pieces:
        current = ""
        for word in re.findall(r"\S*\s*|\S+", piece):
            if not word:
                continue
            if current and len(_quote(current + word)) - 2 > limit:
                chunks.append(current)
                current = word
            else:
                current += word
        if current:
            chunks.append(current)
    return chunks


def _format_field(keyword: str, text: str) -> list[str]:
    """Format ``keyword "text"`` the way msgcat does: wrapped, broken after newlines."""
    single = f"{keyword} {_quote(text)}"
    chunks = _chunks(text)
    if len(chunks) <= 1 and len(single) <= _WRAP_WIDTH:
        return [single]
    return [f'{keyword} ""', *(_quote(chunk) for chunk in chunks)]


@dataclass
class _Entry:
    """One catalogue entry; msgctxt/msgid/msgid_plural are kept as their original lines."""

    comments: list[str] = field(default_factory=list)
    source_lines: list[str] = field(default_factory=list)
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # -1 for a non-plural msgstr
    first_line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_fuzzy(self) -> bool:
        return any(
            "fuzzy" in (flag.strip() for flag in comment[2:].split(","))
            for comment in self.comments
            if comment.startswith("#,")
        )

    @property
    def is_translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and not self.is_fuzzy


def _parse_po(text: str) -> list[_Entry]:
    """Parse a .po file into entries; obsolete (``#~``) entries are dropped."""
    entries: list[_Entry] = []
    entry = _Entry()
    # Where string continuation lines go: a source keyword, or ("msgstr", plural index).
    field_key: str | None = None
    msgstr_index = -1

    def finish() -> None:
        nonlocal entry, field_key
        if entry.msgid is not None:
            if not entry.msgstr:
                raise CatalogueError(f"line {entry.first_line}: entry without msgstr")
            entries.append(entry)
        entry = _Entry()
        field_key = None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry.msgid is not None:
                if not entry.msgstr:
                    raise CatalogueError(f"line {number}: comment inside an entry")
                finish()
            entry.comments.append(raw.rstrip())
            field_key = None
            continue
        if line.startswith('"'):
            if field_key is None:
                raise CatalogueError(f"line {number}: string continuation without a keyword")
            value = _unquote(line, number)
            if field_key == "msgstr":
                entry.msgstr[msgstr_index] += value
            else:
                entry.source_lines.append(line)
                setattr(entry, field_key, getattr(entry, field_key) + value)
            continue
        match = _KEYWORD_RE.match(line)
        if match is None:
            raise CatalogueError(f"line {number}: cannot parse {raw!r}")
        keyword, plural_index, literal = match.groups()
        value = _unquote(literal, number)
        if keyword.startswith("msgstr"):
            if entry.msgid is None:
                raise CatalogueError(f"line {number}: msgstr before msgid")
            msgstr_index = -1 if plural_index is None else int(plural_index)
            if msgstr_index in entry.msgstr:
                raise CatalogueError(f"line {number}: repeated {keyword}")
            entry.msgstr[msgstr_index] = value
            field_key = "msgstr"
            continue
        if keyword in ("msgctxt", "msgid") and entry.msgstr:
            finish()
        if entry.msgstr or getattr(entry, keyword) is not None:
            raise CatalogueError(f"line {number}: unexpected {keyword}")
        if keyword == "msgctxt" and entry.msgid is not None:
            raise CatalogueError(f"line {number}: msgctxt after msgid")
        if keyword == "msgid_plural" and entry.msgid is None:
            raise CatalogueError(f"line {number}: msgid_plural before msgid")
        entry.first_line = entry.first_line or number
        entry.source_lines.append(line)
        setattr(entry, keyword, value)
        field_key = keyword
    finish()
    return entries


def _header_for_cyrillic(header: str) -> str:
    """Return the catalogue header with ``Language: sr``; everything else is kept."""
    lines = header.split("\n")
    replaced = False
    for index, line in enumerate(lines):
        if line.lower().startswith("language:"):
            lines[index] = "Language: sr"
            replaced = True
    if not replaced:
        position = next(
            (i + 1 for i, line in enumerate(lines) if line.lower().startswith("language-team:")),
            len(lines) - 1 if lines and lines[-1] == "" else len(lines),
        )
        lines.insert(position, "Language: sr")
    return "\n".join(lines)


def _format_entry(entry: _Entry) -> list[str]:
    lines = [*entry.comments, *entry.source_lines]
    for index, value in sorted(entry.msgstr.items()):
        keyword = "msgstr" if index == -1 else f"msgstr[{index}]"
        converted = _header_for_cyrillic(value) if entry.is_header else latin_to_cyrillic(value)
        lines.extend(_format_field(keyword, converted))
    return lines


def transliterate_catalogue(source: Path, target: Path) -> int:
    """Write a Serbian Cyrillic copy of the Serbian Latin gettext catalogue ``source``.

    Every ``msgstr`` and ``msgstr[n]`` is converted with :func:`latin_to_cyrillic`; comments,
    flags (fuzzy entries stay fuzzy), ``msgctxt``, ``msgid`` and ``msgid_plural`` lines are
    copied unchanged, obsolete (``#~``) entries are dropped. The header keeps everything,
    Plural-Forms included, except that its ``Language`` becomes ``sr``. The target's directory
    is created if needed and the file is replaced atomically. Both files are UTF-8.

    Returns the number of translated messages written: entries other than the header that are
    not fuzzy and whose msgstr (every plural form) is not empty.

    Raises :class:`CatalogueError` (a :class:`ValueError`) if ``source`` is not a valid .po file.
    """
    entries = _parse_po(source.read_text(encoding="utf-8-sig"))
    output: list[str] = []
    for entry in entries:
        if output:
            output.append("")
        output.extend(_format_entry(entry))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text("\n".join(output) + "\n", encoding="utf-8")
    os.replace(temporary, target)
    return sum(1 for entry in entries if not entry.is_header and entry.is_translated)
