"""Canonical URLs: many ways of writing one page give one record; nothing else is accepted."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from sigurnet.hotline import canonical
from sigurnet.hotline.canonical import MAX_LENGTH, CanonicalURL, InvalidURL, canonicalize


def url(raw: str) -> str:
    return canonicalize(raw).url


def code(raw: str) -> str:
    with pytest.raises(InvalidURL) as caught:
        canonicalize(raw)
    return caught.value.code


# --- The cases the hotline was specified with ---------------------------------------------


def test_one_page_written_two_ways_gives_one_url():
    first = canonicalize("HTTP://Example.COM:80/a/../b?utm_source=x#top")
    second = canonicalize("http://example.com/b")
    assert first == second
    assert first.url == "http://example.com/b"


def test_default_ports_are_dropped_and_others_kept():
    assert url("https://EXAMPLE.com:443") == "https://example.com/"
    assert url("http://example.com:8080/") == "http://example.com:8080/"
    assert url("http://example.com:443/") == "http://example.com:443/"
    assert url("https://example.com:80/") == "https://example.com:80/"
    assert url("http://example.com:0080/") == "http://example.com/"
    assert url("http://example.com:/x") == "http://example.com/x"


def test_spaces_are_encoded_and_unreserved_escapes_decoded():
    assert url("example.com/a b") == "http://example.com/a%20b"
    assert url("http://example.com/%7Euser/%2f") == "http://example.com/~user/%2F"


def test_idn_host_becomes_punycode_and_path_utf8():
    result = canonicalize("http://bücher.de/ü")
    assert result.host == "xn--bcher-kva.de"
    assert result.url == "http://xn--bcher-kva.de/%C3%BC"
    assert result.registrable_domain == "xn--bcher-kva.de"


def test_international_names_are_encoded_as_browsers_open_them():
    # IDNA 2008 (UTS 46, non-transitional): sharp s and final sigma are kept, not folded.
    assert url("http://faß.de/") == "http://xn--fa-hia.de/"
    assert url("http://βόλος.com/") == "http://xn--nxasmm1c.com/"
    fullwidth = "\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25\uff0ecom"  # EXAMPLE.com
    assert url(f"http://{fullwidth}/") == "http://example.com/"
    assert url("http://пример.рф/") == "http://xn--e1afmkfd.xn--p1ai/"
    # Refused by IDNA 2008 but opened by some browsers: still reportable.
    assert url("http://☃.example/") == "http://xn--n3h.example/"


def test_defanged_addresses_are_restored():
    assert url("hxxps://evil[.]example[.]org/x") == "https://evil.example.org/x"
    assert url("hXXp://evil(.)example(.)org") == "http://evil.example.org/"
    assert url("hxxp[:]//evil[.]example[.]org/") == "http://evil.example.org/"
    assert url("evil[.]example[.]org/x") == "http://evil.example.org/x"


def test_registrable_domain():
    assert canonicalize("https://a.b.example.co.uk/x").registrable_domain == "example.co.uk"
    assert canonicalize("http://192.168.0.1/x").registrable_domain == "192.168.0.1"
    assert canonicalize("http://co.uk/").registrable_domain == "co.uk"
    assert canonicalize("http://localhost:8000/").registrable_domain == "localhost"
    assert canonicalize("http://x.y.unknown-tld/").registrable_domain == "y.unknown-tld"
    assert canonicalize("http://a.b.xn--p1ai/").registrable_domain == "b.xn--p1ai"
    assert canonicalize("http://пример.рф/").registrable_domain == "xn--e1afmkfd.xn--p1ai"


def test_ipv6_literal_is_normalised():
    result = canonicalize("http://[2001:DB8::1]:80/")
    assert result.url == "http://[2001:db8::1]/"
    assert result.host == "2001:db8::1"
    assert result.registrable_domain == "2001:db8::1"
    assert url("https://[2001:0db8:0000::0001]:8443/a") == "https://[2001:db8::1]:8443/a"
    assert url("[::1]:8080/x") == "http://[::1]:8080/x"


def test_tracking_parameters_are_dropped_and_the_rest_kept_in_order():
    assert url("http://example.com/?b=2&utm_medium=x&a=1&fbclid=z") == "http://example.com/?b=2&a=1"
    assert url("http://example.com/p?UTM_Source=x&gclid=1&si=abc") == "http://example.com/p?si=abc"
    assert url("http://example.com/p?utm%5Fsource=x&x=%7e") == "http://example.com/p?x=~"
    assert url("http://example.com/p?utm_source=x&fbclid=y") == "http://example.com/p"
    assert url("http://example.com/p?") == "http://example.com/p"
    assert url("http://example.com/p?&&a&&b=") == "http://example.com/p?a&b="


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("javascript:alert(1)", "scheme"),
        ("ftp://x", "scheme"),
        ("mailto:someone@example.com", "scheme"),
        ("data:text/html,hi", "scheme"),
        ("http://", "no_host"),
        ("https:///", "no_host"),
        ("http://user:pass@/x", "no_host"),
        ("/just/a/path", "no_host"),
        ("http://exa mple.com/", "bad_host"),
        ("http://example.com:99999/", "bad_host"),
        ("http://example.com:8o/", "bad_host"),
        ("http://example.123/", "bad_host"),
        ("http://256.1.1.1/", "bad_host"),
        ("http://1.2.3.4.5/", "bad_host"),
        ("http://" + "1" * 4000 + "/", "bad_host"),
        ("http://a." + "9" * 50 + "/", "bad_host"),
        ("http://0x1ffffffff/", "bad_host"),
        ("http://[2001:db8::g]/", "bad_host"),
        ("http://[fe80::1%25eth0]/", "bad_host"),
        ("http://[::1/", "bad_host"),
        ("http://a..b/", "bad_host"),
        ("http://" + "a" * 64 + ".com/", "bad_host"),
        ("http://ex%ffample.com/", "bad_host"),
        ("http://a\u2025b.com/", "bad_host"),
        ("http://example.com/\x00", "nul"),
        ("\x00", "nul"),
        ("http://example.com/a\nb", "nul"),
        ("http://example.com/\x7f", "nul"),
        ("http://example.com/\ud800", "nul"),
        ("http://example.com/" + "a" * 4981, "too_long"),
        ("", "empty"),
        ("   \n\t ", "empty"),
        ('<"">', "empty"),
    ],
)
def test_rejects(raw, expected):
    assert code(raw) == expected


def test_error_message_is_readable_english():
    with pytest.raises(InvalidURL) as caught:
        canonicalize("ftp://x")
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("Only web addresses")


def test_the_length_limit_applies_to_the_canonical_form_too():
    # 1500 characters typed become 4500 once encoded: refused, so the result always fits.
    assert len("example.com/" + "ü" * 1500) <= MAX_LENGTH
    assert code("example.com/" + "ü" * 1500) == "too_long"
    assert len(url("example.com/" + "a" * (MAX_LENGTH - len("http://example.com/")))) == 4096


# --- Further normalisation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("www.example.com", "http://www.example.com/"),
        ("  <https://example.com/a>  ", "https://example.com/a"),
        ('"https://example.com/a"', "https://example.com/a"),
        ("'https://example.com/a'", "https://example.com/a"),
        ("\u201chttps://example.com/a\u201d", "https://example.com/a"),
        ('<"https://example.com/a">\n', "https://example.com/a"),
        ("//example.com/a", "http://example.com/a"),
        ("example.com:8080/a", "http://example.com:8080/a"),
        ("http:example.com/a", "http://example.com/a"),
        ("https:\\\\example.com\\a\\b?c\\d", "https://example.com/a/b?c%5Cd"),
        ("http://user:secret@example.com/", "http://example.com/"),
        ("http://good.example@evil.example/", "http://evil.example/"),
        ("http://a@b@evil.example/", "http://evil.example/"),
        ("http://Example.COM./", "http://example.com/"),
        ("http://ex%61mple.com/", "http://example.com/"),
        ("http://%62%C3%BCcher.de/", "http://xn--bcher-kva.de/"),
        ("http://\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25\u3002com/", "http://example.com/"),
        ("http://BÜCHER.de/", "http://xn--bcher-kva.de/"),
        ("http://XN--BCHER-KVA.DE/", "http://xn--bcher-kva.de/"),
        ("http://my_site.example.com/", "http://my_site.example.com/"),
        ("http://3232235521/", "http://192.168.0.1/"),
        ("http://0xC0.0xA8.0.1/", "http://192.168.0.1/"),
        ("http://0300.0250.0.01/", "http://192.168.0.1/"),
        ("http://192.168.1/", "http://192.168.0.1/"),
        ("http://192.168.0.1./", "http://192.168.0.1/"),
        ("http://[::ffff:192.168.0.1]/", "http://[::ffff:c0a8:1]/"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/a/./b/../c/", "http://example.com/a/c/"),
        ("http://example.com/a/b/..", "http://example.com/a/"),
        ("http://example.com/../../a", "http://example.com/a"),
        ("http://example.com/a/%2e%2E/b", "http://example.com/b"),
        ("http://example.com/a/%2E/b", "http://example.com/a/b"),
        ("http://example.com//a", "http://example.com//a"),
        ("http://example.com/A/B", "http://example.com/A/B"),
        ("http://example.com/%41%62%2d%5f", "http://example.com/Ab-_"),
        ("http://example.com/%3f%23%2F%25", "http://example.com/%3F%23%2F%25"),
        ("http://example.com/%zz/%", "http://example.com/%25zz/%25"),
        ('http://example.com/a"<>^`{|}[]', "http://example.com/a%22%3C%3E%5E%60%7B%7C%7D%5B%5D"),
        ("http://example.com/!$&'()*+,;=:@", "http://example.com/!$&'()*+,;=:@"),
        ("http://example.com/😀", "http://example.com/%F0%9F%98%80"),
        ("http://example.com/?q=a b&r=é", "http://example.com/?q=a%20b&r=%C3%A9"),
        ("http://example.com/?q=a+b&x=%2b%3d%26", "http://example.com/?q=a+b&x=%2B%3D%26"),
        ("http://example.com/?next=/a?b", "http://example.com/?next=/a?b"),
        ("http://example.com/#section", "http://example.com/"),
        ("http://example.com/#", "http://example.com/"),
        ("http://example.com/#!/item/1", "http://example.com/#!/item/1"),
        ("http://example.com/#/item/1?x=y", "http://example.com/#/item/1?x=y"),
        ("http://example.com/#/a b#c", "http://example.com/#/a%20b%23c"),
        ("http://example.com/?a=1#/r", "http://example.com/?a=1#/r"),
    ],
)
def test_normalises(raw, expected):
    assert url(raw) == expected


def test_ftp_like_host_without_scheme_is_a_host():
    # "example.com:8080" looks like "scheme:rest"; a dot shows it is a host.
    assert canonicalize("example.com:8080").host == "example.com"
    assert code("example.com:http") == "bad_host"


def test_result_is_frozen():
    result = canonicalize("example.com")
    assert isinstance(result, CanonicalURL)
    with pytest.raises(AttributeError):
        result.url = "http://other.example/"  # type: ignore[misc]


def test_public_suffix_list_is_the_bundled_copy(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the public suffix list must not be fetched")

    monkeypatch.setattr(canonical, "_psl", None)
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert canonicalize("https://www.example.ac.uk/").registrable_domain == "example.ac.uk"
    assert canonical._public_suffix_list() is canonical._public_suffix_list()


# --- Properties ------------------------------------------------------------------------------

URLISH = st.lists(
    st.sampled_from(
        [
            *"abcXYZ019.-_~:/?#[]@!$&'()*+,;=% \\<>\"`^{|}\t",
            *["hxxp", "http", "https", "://", "[.]", "(.)", "%2e", "%2F", "%41", "%C3%BC", "ü"],
            *["\u3002", "\uff0e", "ß", "xn--", "0x", "..", "/..", "#!/", "utm_source=", "&"],
        ]
    ),
    max_size=40,
).map("".join)


def check(raw: str) -> None:
    """Either a canonical URL that canonicalises to itself, or InvalidURL: nothing else."""
    try:
        result = canonicalize(raw)
    except InvalidURL as error:
        assert error.code in {"empty", "too_long", "scheme", "no_host", "bad_host", "nul"}
        assert str(error)
        return
    assert result.url.isascii()
    assert result.url.startswith(("http://", "https://"))
    assert len(result.url) <= MAX_LENGTH
    assert not any(char.isspace() or ord(char) < 32 for char in result.url)
    assert canonicalize(result.url) == result


@settings(max_examples=500)
@given(st.text())
@example("http://a\u2024b.com/")
@example("0x")
@example("http://[::1]:/")
def test_arbitrary_text_never_raises_anything_but_invalid_url(raw):
    check(raw)


@settings(max_examples=1000)
@given(URLISH)
@example("hxxp[:]//a[.]b/%2e%2E/c?utm_source=1#!/x")
def test_url_like_text_never_raises_anything_but_invalid_url(raw):
    check(raw)


LABEL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_äöüéçñßžćčšđжяΩ日本"
labels = st.text(alphabet=LABEL_CHARS, min_size=1, max_size=12)
tlds = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda address: f"[{address.exploded.upper()}]")
hosts = st.one_of(
    st.builds(
        lambda names, tld, dot: ".".join([*names, tld]) + dot,
        st.lists(labels, min_size=1, max_size=4),
        tlds.filter(lambda tld: len(tld) <= 10),
        st.sampled_from(["", "."]),
    ),
    ipv4,
    ipv6,
)
schemes = st.sampled_from(["http", "https", "HTTP", "HtTpS", "hxxp", "hxxps", ""])
ports = st.one_of(st.none(), st.integers(0, 65535))
free_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
        st.sampled_from([*"%./?#&=+~ ", "%2F", "%2e", "%7E", "%c3%bc", "..", "%"]),
    ),
    max_size=12,
).map("".join)
segments = free_text.map(lambda text: text.replace("/", "").replace("?", "").replace("#", ""))
pairs = st.tuples(
    st.one_of(free_text, st.sampled_from(["utm_source", "fbclid", "si", "a"])), free_text
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(schemes)
    text = f"{scheme}://" if scheme else draw(st.sampled_from(["", "//"]))
    if text and draw(st.booleans()):  # "user:pass@host" alone would read as scheme "user"
        text += draw(st.sampled_from(["user@", "user:pass@", "a:b@c@"]))
    text += draw(hosts)
    port = draw(ports)
    if port is not None:
        text += f":{port}"
    path = draw(st.lists(segments, max_size=5))
    if path:
        text += "/" + "/".join(path)
    query = draw(st.lists(pairs, max_size=4))
    if query or draw(st.booleans()):
        parameters = (f"{name.replace('&', '')}={value.replace('&', '')}" for name, value in query)
        text += "?" + "&".join(parameters).replace("#", "")
    if draw(st.booleans()):
        text += "#" + draw(st.sampled_from(["", "/", "!/", "top"])) + draw(free_text)
    return text


@settings(max_examples=1000, suppress_health_check=[HealthCheck.filter_too_much])
@given(urls())
def test_canonical_form_is_idempotent(raw):
    try:
        result = canonicalize(raw)
    except InvalidURL as error:
        # Generated hosts are valid except for what both IDNA 2008 and IDNA 2003 refuse.
        assert error.code == "bad_host"
        assume(False)
    assert canonicalize(result.url) == result
    check(raw)
