# Cyrillic letters that look like Latin ones are the point of these tests.
# ruff: noqa: RUF001

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sigurnet.core.script import (
    KEEP_LATIN,
    SPLIT_DIGRAPH_WORDS,
    CatalogueError,
    cyrillic_to_latin,
    latin_to_cyrillic,
    transliterate_catalogue,
)

MSGFMT = shutil.which("msgfmt") or "/usr/bin/msgfmt"


# --- Letters and digraphs ----------------------------------------------------------------------


def test_every_latin_letter_becomes_its_cyrillic_counterpart() -> None:
    latin = "a b c č ć d đ e f g h i j k l m n o p r s š t u v z ž"
    assert latin_to_cyrillic(latin) == "а б ц ч ћ д ђ е ф г х и ј к л м н о п р с ш т у в з ж"
    assert latin_to_cyrillic(latin.upper()) == (
        "А Б Ц Ч Ћ Д Ђ Е Ф Г Х И Ј К Л М Н О П Р С Ш Т У В З Ж"
    )


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("ljubav", "љубав"),
        ("Ljubav", "Љубав"),
        ("LJUBAV", "ЉУБАВ"),
        ("njiva", "њива"),
        ("Njiva", "Њива"),
        ("NJIVA", "ЊИВА"),
        ("džep", "џеп"),
        ("Džep", "Џеп"),
        ("DŽEP", "ЏЕП"),
        ("polje", "поље"),
        ("konj", "коњ"),
    ],
)
def test_digraph_lj_nj_dz_becomes_single_cyrillic_letter(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


def test_digraph_ligature_code_points_become_single_cyrillic_letter() -> None:
    assert latin_to_cyrillic("ǉubav ǋiva ǅep") == "љубав Њива Џеп"


def test_decomposed_caron_is_treated_like_precomposed_letter() -> None:
    assert latin_to_cyrillic("dz\u030cep s\u030cuma") == "џеп шума"


# One real word (an inflected form where there is one) for every prefix and root of
# SPLIT_DIGRAPH_WORDS, with its Cyrillic spelling.
SPLIT_EXAMPLES: dict[tuple[str, str], tuple[str, str]] = {
    ("an", "jon"): ("anjoni", "анјони"),
    ("in", "jekc"): ("injekcijom", "инјекцијом"),
    ("in", "jekt"): ("injektor", "инјектор"),
    ("in", "jicir"): ("injicirati", "инјицирати"),
    ("in", "junk"): ("injunkcija", "инјункција"),
    ("in", "jurij"): ("injurije", "инјурије"),
    ("kon", "jug"): ("konjugacija", "конјугација"),
    ("kon", "junk"): ("konjunktivitisa", "конјунктивитиса"),
    ("pan", "jelin"): ("panjelinski", "панјелински"),
    ("pan", "jugoslov"): ("panjugoslovenska", "панјугословенска"),
    ("tan", "jug"): ("Tanjugu", "Танјугу"),
    ("van", "jezi"): ("vanjezičkih", "ванјезичких"),
    ("van", "jugoslov"): ("vanjugoslovenski", "ванјугословенски"),
    ("feld", "žandar"): ("feldžandarmerija", "фелджандармерија"),
    ("nad", "ždrel"): ("nadždrelni", "надждрелни"),
    ("nad", "žet"): ("nadžeti", "наджети"),
    ("nad", "živ"): ("nadživljavati", "надживљавати"),
    ("nad", "žnj"): ("nadžnjeti", "наджњети"),
    ("od", "žal"): ("odžalila", "оджалила"),
    ("od", "živ"): ("odživeti", "одживети"),
    ("od", "žubor"): ("odžuborio", "оджуборио"),
    ("od", "žvak"): ("odžvakati", "оджвакати"),
    ("pod", "žanr"): ("podžanrovi", "поджанрови"),
    ("pod", "žar"): ("podžariti", "поджарити"),
    ("pod", "želu"): ("podželudačna", "поджелудачна"),
    ("pod", "žet"): ("podžeti", "поджети"),
    ("pod", "žeć"): ("podžeći", "поджећи"),
    ("pod", "žež"): ("podžežen", "поджежен"),
    ("pod", "žig"): ("podžigač", "поджигач"),
    ("pod", "žnj"): ("podžnjeti", "поджњети"),
    ("pod", "žup"): ("podžupanija", "поджупанија"),
    ("pred", "želu"): ("predželuca", "преджелуца"),
    ("pred", "žetv"): ("predžetveni", "преджетвени"),
}


@pytest.mark.parametrize(("prefix", "root"), sorted(SPLIT_EXAMPLES))
def test_nj_and_dz_across_a_prefix_boundary_stay_two_letters(prefix: str, root: str) -> None:
    latin, cyrillic = SPLIT_EXAMPLES[(prefix, root)]
    assert latin.lower().startswith(prefix + root)
    assert latin_to_cyrillic(latin) == cyrillic
    assert cyrillic_to_latin(cyrillic) == latin


def test_every_split_digraph_rule_has_an_example() -> None:
    rules = {(prefix, root) for prefix, roots in SPLIT_DIGRAPH_WORDS.items() for root in roots}
    assert rules == set(SPLIT_EXAMPLES)


def test_split_digraph_rules_are_a_prefix_in_n_or_d_before_a_root_in_j_or_z() -> None:
    for prefix, roots in SPLIT_DIGRAPH_WORDS.items():
        assert prefix == prefix.lower() and prefix[-1] in "nd"
        for root in roots:
            assert root == root.lower() and root[0] == {"n": "j", "d": "ž"}[prefix[-1]]


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Injekcija", "Инјекција"),
        ("INJEKCIJA", "ИНЈЕКЦИЈА"),
        ("KONJUNKTURA", "КОНЈУНКТУРА"),
        ("Nadživeti", "Надживети"),
        ("NADŽIVETI", "НАДЖИВЕТИ"),
        ("PODŽUPAN", "ПОДЖУПАН"),
        ("TANJUG-a", "ТАНЈУГ-а"),
        ("iNjEkCiJa", "иНјЕкЦиЈа"),
        ("nadz\u030civeti", "надживети"),  # decomposed caron
    ],
)
def test_split_digraph_rules_ignore_case_and_keep_it(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("neodžaljena", "неоджаљена"),
        ("Izvanjezički", "Изванјезички"),
        ("nekonjugovan", "неконјугован"),
    ],
)
def test_split_digraph_rules_apply_after_ne_and_iz(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


def test_other_digraphs_of_a_split_word_are_still_joined() -> None:
    assert latin_to_cyrillic("nadživljavati podžnjeti NADŽNJETI") == (
        "надживљавати поджњети НАДЖЊЕТИ"
    )


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("njegov", "његов"),
        ("Njegovom", "Његовом"),
        ("konj", "коњ"),
        ("konjanik", "коњаник"),
        ("konjak", "коњак"),
        ("konjušnica", "коњушница"),
        ("kanjon", "кањон"),
        ("tanjir", "тањир"),
        ("tanjur", "тањур"),
        ("panjevi", "пањеви"),
        ("vanjski", "вањски"),
        ("inje", "иње"),
        ("injem", "ињем"),
        ("džep", "џеп"),
        ("nadžak", "наџак"),
        ("NADŽAK", "НАЏАК"),
        ("odžak", "оџак"),
        ("odžačar", "оџачар"),
        ("Odžaci", "Оџаци"),
        ("džungla", "џунгла"),
    ],
)
def test_words_with_a_real_nj_or_dz_keep_one_letter(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


def test_split_digraph_rule_only_applies_at_the_start_of_a_word() -> None:
    # "konjušar" and "odžak" begin like kon|jug... and od|žal... but do not match a root;
    # "kanjoni" holds "anjon" inside the word, not at its start.
    assert latin_to_cyrillic("konjušar") == "коњушар"
    assert latin_to_cyrillic("odžak") == "оџак"
    assert latin_to_cyrillic("kanjoni") == "кањони"


def test_foreign_words_with_q_w_x_y_stay_latin_whole() -> None:
    assert latin_to_cyrillic("Pogledaj YouTube i Wi-Fi mreže") == "Погледај YouTube и Wi-Fi мреже"
    assert latin_to_cyrillic("xyz") == "xyz"


def test_roman_numerals_stay_latin_but_serbian_lookalikes_do_not() -> None:
    assert latin_to_cyrillic("XXI vek, II deo") == "XXI век, II део"
    assert latin_to_cyrillic("VI STE MI") == "ВИ СТЕ МИ"


def test_cyrillic_and_digits_are_left_unchanged() -> None:
    assert latin_to_cyrillic("Већ ћирилица 2025.") == "Већ ћирилица 2025."


# --- Protected spans ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "placeholder",
    ["%(name)s", "%(count)d", "%s", "%d", "%%", "%5.2f", "{name}", "{0}", "{}", "{{ user }}"],
)
def test_placeholders_are_left_unchanged(placeholder: str) -> None:
    assert latin_to_cyrillic(f"Poslato {placeholder} puta") == f"Послато {placeholder} пута"


def test_placeholder_glued_to_word_is_left_unchanged() -> None:
    assert latin_to_cyrillic("%(broj)sputa") == "%(broj)sпута"


def test_percent_sign_before_a_word_does_not_protect_the_word() -> None:
    assert latin_to_cyrillic("100% sigurno") == "100% сигурно"


def test_html_tags_and_attributes_are_left_unchanged() -> None:
    text = '<a href="/prijava/" class="dugme">Prijavi</a> <strong>sada</strong><br/>'
    expected = '<a href="/prijava/" class="dugme">Пријави</a> <strong>сада</strong><br/>'
    assert latin_to_cyrillic(text) == expected


def test_html_comments_are_left_unchanged() -> None:
    assert latin_to_cyrillic("<!-- napomena -->tekst") == "<!-- napomena -->текст"


@pytest.mark.parametrize("entity", ["&amp;", "&nbsp;", "&#8212;", "&#x2014;", "&quot;"])
def test_html_entities_are_left_unchanged(entity: str) -> None:
    assert latin_to_cyrillic(f"vesti{entity}saveti") == f"вести{entity}савети"


@pytest.mark.parametrize(
    "url",
    [
        "https://sigurnet.rs/prijava/?jezik=sr",
        "http://example.org/put",
        "www.cuvamte.gov.rs",
        "sigurnet.rs/pomoc",
        "mailto:pomoc@sigurnet.rs",
    ],
)
def test_urls_are_left_unchanged(url: str) -> None:
    assert latin_to_cyrillic(f"Posetite {url} danas") == f"Посетите {url} данас"


@pytest.mark.parametrize("scheme", ["https://", "http://", "ftp://"])
def test_a_bare_scheme_is_left_unchanged(scheme: str) -> None:
    # "It starts with https://" must not tell a Cyrillic reader to type "хттпс://".
    assert latin_to_cyrillic(f"Počinje sa {scheme}") == f"Почиње са {scheme}"
    assert latin_to_cyrillic(f"Piše {scheme} na početku") == f"Пише {scheme} на почетку"


def test_site_paths_are_left_unchanged_but_slash_between_words_is_not_a_path() -> None:
    assert (
        latin_to_cyrillic("Idi na /prijava/novi/ i/ili zovi") == "Иди на /prijava/novi/ и/или зови"
    )


def test_email_addresses_are_left_unchanged() -> None:
    text = "Pišite na helpline.beograd@sigurnet.rs ili prijava@sic.ba"
    assert latin_to_cyrillic(text) == "Пишите на helpline.beograd@sigurnet.rs или prijava@sic.ba"


@pytest.mark.parametrize(
    "word", ["INHOPE", "Insafe", "Sigurnet", "SOS", "QR", "TOTP", "API", "URL", "PDF", "ID", "Esc"]
)
def test_keep_latin_words_are_left_unchanged(word: str) -> None:
    assert word in KEEP_LATIN
    assert latin_to_cyrillic(f"Koristi {word} kod") == f"Користи {word} код"


def test_keep_latin_words_also_match_in_capitals() -> None:
    assert latin_to_cyrillic("SIGURNET CENTAR") == "SIGURNET ЦЕНТАР"


def test_keep_latin_word_keeps_latin_but_serbian_ending_is_converted() -> None:
    assert latin_to_cyrillic("Preuzmi PDF-a i URL-ove") == "Преузми PDF-а и URL-ове"


def test_keep_latin_word_inside_longer_word_is_converted() -> None:
    assert latin_to_cyrillic("IDEJA") == "ИДЕЈА"


# --- Cyrillic to Latin -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Љубав", "Ljubav"),
        ("ЉУБАВ", "LJUBAV"),
        ("Његош", "Njegoš"),
        ("ЏЕП", "DŽEP"),
        ("КОЊ", "KONJ"),
        ("Џ", "Dž"),
        ("ђак ћуп", "đak ćup"),
    ],
)
def test_cyrillic_digraph_letters_become_latin_digraphs_in_the_right_case(
    cyrillic: str, latin: str
) -> None:
    assert cyrillic_to_latin(cyrillic) == latin


def test_cyrillic_to_latin_leaves_latin_and_other_characters_unchanged() -> None:
    assert cyrillic_to_latin("INHOPE, %(name)s, <b>, 42") == "INHOPE, %(name)s, <b>, 42"


SENTENCES = [
    "Prijavi sadržaj",
    "Dobij pomoć",
    "Ljubazno te molimo da ne preuzimaš sliku.",
    "Đak je čuo džingl.",
    "Ako ti neko preti na internetu, odmah se obrati roditeljima ili nastavniku.",
    "Tvoja prijava je anonimna i njome se bave obučeni savetnici.",
    "Nemoj brisati poruke: sačuvaj ih kao dokaz za policiju.",
    "Uznemiravanje na društvenim mrežama nije tvoja krivica.",
    "Džaba je ćutati, nazovi savetodavnu liniju.",
    "ŠTA DA RADIM AKO MI NEKO UCENJUJE FOTOGRAFIJAMA?",
    "Žrtve nasilja mogu da dobiju pomoć u roku od 24 časa.",
    "Pošalji link ka stranici gde si video neprimeren sadržaj.",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_ordinary_sentences_survive_a_round_trip(sentence: str) -> None:
    cyrillic = latin_to_cyrillic(sentence)
    assert not any("a" <= char.lower() <= "z" for char in cyrillic)
    assert cyrillic_to_latin(cyrillic) == sentence


def test_cyrillic_text_is_left_unchanged_by_latin_to_cyrillic() -> None:
    cyrillic = latin_to_cyrillic(SENTENCES[2])
    assert latin_to_cyrillic(cyrillic) == cyrillic


# --- Catalogues --------------------------------------------------------------------------------

SOURCE_PO = r"""# Serbian (Latin) translation of Sigurnet.
#
msgid ""
msgstr ""
"Project-Id-Version: sigurnet\n"
"Report-Msgid-Bugs-To: \n"
"PO-Revision-Date: 2025-01-15 10:00+0100\n"
"Last-Translator: Sigurnet <prevod@sigurnet.rs>\n"
"Language-Team: Serbian (Latin)\n"
"Language: sr_Latn\n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Content-Transfer-Encoding: 8bit\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "
"n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"

#. Button on the home page.
#: sigurnet/templates/home.html:12
msgid "Report content"
msgstr "Prijavi sadržaj"

#: sigurnet/hotline/views.py:40
#, python-format
msgid ""
"Thank you, %(name)s.\n"
"Your report has been received."
msgstr ""
"Hvala ti, %(name)s.\n"
"Tvoja prijava je primljena i njome se bavi naš tim."

#, python-format
msgid "%(count)d report"
msgid_plural "%(count)d reports"
msgstr[0] "%(count)d prijava"
msgstr[1] "%(count)d prijave"
msgstr[2] "%(count)d prijava"

msgctxt "verb"
msgid "Report"
msgstr "Prijavi"

msgid "Say \"no\" to abuse"
msgstr "Reci \"ne\" zlostavljanju\tLjudi"

#, fuzzy
msgid "Get help"
msgstr "Dobij pomoć"

msgid "Not yet translated"
msgstr ""

msgid "Read <a href=\"https://sigurnet.rs/savet/\">the advice</a> &amp; stay safe"
msgstr ""
"Pročitaj <a href=\"https://sigurnet.rs/savet/\">savet</a> &amp; čuvaj se, "
"Insafe i INHOPE su uz tebe"

#~ msgid "Old message"
#~ msgstr "Stara poruka"
"""


def write_source(tmp_path: Path) -> Path:
    source = tmp_path / "sr_Latn" / "django.po"
    source.parent.mkdir()
    source.write_text(SOURCE_PO, encoding="utf-8")
    return source


def test_transliterate_catalogue_counts_translated_non_fuzzy_messages(tmp_path: Path) -> None:
    count = transliterate_catalogue(write_source(tmp_path), tmp_path / "sr" / "django.po")
    assert count == 6


def test_transliterate_catalogue_converts_msgstrs_and_keeps_msgids(tmp_path: Path) -> None:
    target = tmp_path / "sr" / "LC_MESSAGES" / "django.po"
    transliterate_catalogue(write_source(tmp_path), target)
    output = target.read_text(encoding="utf-8")

    assert 'msgid "Report content"\nmsgstr "Пријави садржај"' in output
    assert '"Хвала ти, %(name)s.\\n"\n"Твоја пријава је примљена и њоме се бави наш тим."' in output
    assert 'msgstr[0] "%(count)d пријава"' in output
    assert 'msgstr[1] "%(count)d пријаве"' in output
    assert 'msgctxt "verb"\nmsgid "Report"\nmsgstr "Пријави"' in output
    assert 'msgid "Say \\"no\\" to abuse"\nmsgstr "Реци \\"не\\" злостављању\\tЉуди"' in output
    assert '<a href=\\"https://sigurnet.rs/savet/\\">савет</a> &amp; чувај се' in output
    assert "Insafe и INHOPE су уз тебе" in output
    assert 'msgid "Not yet translated"\nmsgstr ""' in output


def test_transliterate_catalogue_keeps_comments_and_fuzzy_flag(tmp_path: Path) -> None:
    target = tmp_path / "django.po"
    transliterate_catalogue(write_source(tmp_path), target)
    output = target.read_text(encoding="utf-8")

    assert "#. Button on the home page.\n#: sigurnet/templates/home.html:12\n" in output
    assert '#, fuzzy\nmsgid "Get help"\nmsgstr "Добиј помоћ"' in output
    assert "#, python-format" in output


def test_transliterate_catalogue_drops_obsolete_entries(tmp_path: Path) -> None:
    target = tmp_path / "django.po"
    transliterate_catalogue(write_source(tmp_path), target)
    output = target.read_text(encoding="utf-8")
    assert "#~" not in output
    assert "Old message" not in output


def test_transliterate_catalogue_sets_language_and_keeps_plural_forms(tmp_path: Path) -> None:
    target = tmp_path / "django.po"
    transliterate_catalogue(write_source(tmp_path), target)
    output = target.read_text(encoding="utf-8")
    assert '"Language: sr\\n"' in output
    assert "sr_Latn" not in output
    assert "Language-Team: Serbian (Latin)" in output
    assert "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && " in output.replace(
        '"\n"', ""
    )


def test_transliterated_catalogue_passes_msgfmt_check(tmp_path: Path) -> None:
    target = tmp_path / "django.po"
    transliterate_catalogue(write_source(tmp_path), target)
    if not Path(MSGFMT).exists():
        pytest.skip("msgfmt (GNU gettext) is not installed")
    result = subprocess.run(
        [MSGFMT, "--check", "-o", "/dev/null", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_transliterating_twice_gives_the_same_file(tmp_path: Path) -> None:
    first = tmp_path / "first.po"
    second = tmp_path / "second.po"
    transliterate_catalogue(write_source(tmp_path), first)
    transliterate_catalogue(first, second)
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def test_long_msgstr_is_wrapped_into_continuation_lines(tmp_path: Path) -> None:
    source = tmp_path / "long.po"
    long_text = " ".join(["Ljubazno te molimo da ne preuzimaš sliku."] * 5)
    source.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "Please"\nmsgstr "{long_text}"\n',
        encoding="utf-8",
    )
    target = tmp_path / "out.po"
    transliterate_catalogue(source, target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert 'msgstr ""' in lines
    assert all(len(line) <= 79 for line in lines)
    assert "Љубазно те молимо" in "".join(lines)


def test_malformed_catalogue_is_rejected(tmp_path: Path) -> None:
    source = tmp_path / "bad.po"
    source.write_text('msgid "x"\nmsgstr "unterminated\n', encoding="utf-8")
    with pytest.raises(CatalogueError):
        transliterate_catalogue(source, tmp_path / "out.po")
