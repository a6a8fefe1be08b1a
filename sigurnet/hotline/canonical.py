"""Canonical form of a reported web address, so that many reports of one page share one record.

``canonicalize`` takes what a person typed or pasted (``www.example.com/a b``,
``hxxps://evil[.]example[.]org``, ``<HTTP://Example.COM:80/a/../b?utm_source=x#top>``) and
returns one normalised ``http``/``https`` URL, its host and its registrable domain, or raises
``InvalidURL`` with a short ``code`` the form maps to a translated error.

Guarantees:

* ``canonicalize`` raises nothing but ``InvalidURL``, whatever the input.
* The canonical URL is idempotent: ``canonicalize(canonicalize(x).url) == canonicalize(x)``.
* The canonical URL is plain ASCII, at most ``MAX_LENGTH`` characters, without whitespace,
  control characters, invisible characters, credentials, default port or tracking parameters
  (the generic ones below, and the share-link parameters of the big platforms in
  ``share_tracking``), and it always has the form ``scheme://host[:port]/path[?query][#route]``.
* The well-known other forms of one YouTube video or one post on X (``youtu.be/ID``,
  ``/shorts/ID``, ``/embed/ID``, ``twitter.com``, ...) become one form
  (``https://www.youtube.com/watch?v=ID``, ``https://x.com/user/status/ID``); see
  ``share_tracking.canonical_alias``.
* Nothing is fetched from the network: the public suffix list is the copy bundled with
  ``publicsuffixlist``, read once, on first use.

Where the rules leave a choice, they follow what a browser would open for the same text (the
WHATWG URL standard): backslashes before the query count as slashes, percent-escapes in the
host are decoded, and IPv4 addresses written in decimal, octal or hex (``http://3232235521/``,
``http://0xC0.0250.0.1/``) become dotted decimal. International host names are encoded as
browsers do (UTS 46 with IDNA 2008, non-transitional: ``faß.de`` becomes
``xn--fa-hia.de``, not ``fass.de``); a label that IDNA 2008 refuses but IDNA 2003 takes (a
symbol such as ``☃``, which some browsers still open) is encoded with the older rules rather
than refused, so that such an address can still be reported.

Invisible characters (zero-width space, zero-width (non-)joiner, word joiner, byte-order mark,
soft hyphen, bidirectional controls; see ``_INVISIBLE``) come with text copied from chats and
mail programs, and scammers insert them to slip past link filters. Around the address they are
removed like whitespace (so are the no-break spaces). In the scheme, host and port they are
removed too: browsers ignore most of them there (UTS 46 maps them to nothing) and refuse the
rest, so the reporter can only have meant the visible name; a zero-width (non-)joiner is
removed from a label that is ASCII without it, and otherwise left to IDNA 2008, which keeps
it only where Persian or Indic spelling needs it. A no-break space inside a host is a space
there, and refused like one. Inside the path, query and route they are kept, percent-encoded
(``%E2%80%8B``), because that is what a browser sends and what the server sees: removing them
could turn one address into a different page's.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

import idna
from publicsuffixlist import PublicSuffixList

from sigurnet.hotline.share_tracking import canonical_alias, site_tracking_parameters

__all__ = ["MAX_LENGTH", "TRACKING_PARAMETERS", "CanonicalURL", "InvalidURL", "canonicalize"]

MAX_LENGTH = 4096

InvalidURLCode = Literal["empty", "too_long", "scheme", "no_host", "bad_host", "credentials", "nul"]

_MESSAGES: dict[str, str] = {
    "empty": "Please enter a web address.",
    "too_long": f"This web address is too long (at most {MAX_LENGTH} characters).",
    "scheme": "Only web addresses starting with http:// or https:// can be reported.",
    "no_host": "This web address has no site name in it.",
    "bad_host": "The site name or port in this web address is not valid.",
    "credentials": "This web address contains a user name or password.",
    "nul": "This web address contains invisible control characters.",
}


class InvalidURL(ValueError):
    """The text cannot be turned into an http(s) URL.

    ``str(error)`` is a human-readable English sentence; ``error.code`` is one of ``"empty"``,
    ``"too_long"``, ``"scheme"``, ``"no_host"``, ``"bad_host"``, ``"credentials"``, ``"nul"``.
    (``"credentials"`` is reserved: user names and passwords are dropped, not refused.)
    """

    code: InvalidURLCode

    def __init__(self, code: InvalidURLCode, message: str | None = None) -> None:
        self.code = code
        super().__init__(message or _MESSAGES[code])


@dataclass(frozen=True)
class CanonicalURL:
    """A canonical URL with its parts.

    ``url``: the canonical URL. ``host``: the canonical host (lower-case, punycode, no port; an
    IPv6 address without its brackets). ``registrable_domain``: the host's registrable domain
    from the public suffix list (``a.b.example.co.uk`` -> ``example.co.uk``); the host itself for
    an IP address, a public suffix (``co.uk``) or a single label (``localhost``).
    """

    url: str
    host: str
    registrable_domain: str


# Query parameters that only track where a visitor came from; compared case-insensitively.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "yclid",
        "ref_src",
        "spm",
    }
)
_TRACKING_PREFIX = "utm_"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEMES = {"http": "http", "https": "https", "hxxp": "http", "hxxps": "https"}

# Pairs that people (and mail programs) put around an address.
_WRAPPERS = {"<": ">", '"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019"}
_WRAPPERS.update({"\u201e": "\u201c", "\u00ab": "\u00bb", "\u00bb": "\u00ab"})

# C0 and C1 controls, DEL, and lone surrogates (which cannot be encoded as UTF-8).
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Characters that show nothing: soft hyphen, Arabic letter mark, Mongolian vowel separator,
# zero-width space, left-to-right and right-to-left marks, bidi embeddings and overrides
# (U+202A-U+202E), word joiner and invisible operators, bidi isolates (U+2066-U+2069),
# byte-order mark (zero-width no-break space); and the zero-width non-joiner and joiner.
_NON_JOINERS = "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE_CHARS = _NON_JOINERS + "\u200c\u200d"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_INVISIBLE_NON_JOINER = re.compile(f"[{_NON_JOINERS}]")
_JOINERS = re.compile("[\u200c\u200d]")
# What surrounds an address and is never part of it: whitespace (no-break spaces included)
# and invisible characters.
_EDGES = re.compile(f"^[\\s{_INVISIBLE_CHARS}]+|[\\s{_INVISIBLE_CHARS}]+$")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_DEFANGED_COLON = re.compile(r"(?i)(h(?:tt|xx)ps?)\[:\]")
_AUTHORITY_END = re.compile(r"[/?#]")
_QUERY_START = re.compile(r"[?#]")
_PORT = re.compile(r"[0-9]*")
_IDNA_DOTS = re.compile("[.\u3002\uff0e\uff61]")
_LABEL = re.compile(r"[a-z0-9_\-]{1,63}")
_DIGITS = {8: re.compile("[0-7]+"), 10: re.compile("[0-9]+"), 16: re.compile("[0-9a-f]+")}

# RFC 3986: characters that may stay literal in a path (pchar and "/"); a query or a fragment
# may also hold "?". Everything else is percent-encoded as UTF-8; valid escapes are matched as
# one unit so that they can be normalised.
_PATH_FIX = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]")
_QUERY_FIX = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _escape_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for byte in range(256):
        upper = f"%{byte:02X}"
        canonical = chr(byte) if chr(byte) in _UNRESERVED else upper
        for first in {upper[1], upper[1].lower()}:
            for second in {upper[2], upper[2].lower()}:
                table[f"%{first}{second}"] = canonical
    return table


_ESCAPES = _escape_table()


def _fix_escape(match: re.Match[str]) -> str:
    text = match.group()
    if len(text) == 3:
        return _ESCAPES[text]
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8"))


_psl: PublicSuffixList | None = None
_psl_lock = threading.Lock()


def _public_suffix_list() -> PublicSuffixList:
    """The bundled list, parsed on first use (about 30 ms); never downloaded."""
    global _psl
    if _psl is None:
        with _psl_lock:
            if _psl is None:
                _psl = PublicSuffixList()  # reads the .dat file shipped with the package
    return _psl


def canonicalize(raw: str) -> CanonicalURL:
    """Return the canonical form of the web address in ``raw``; raise ``InvalidURL`` otherwise.

    See the module docstring for the guarantees. In short: surrounding whitespace, ``<>`` and
    quotes are removed; a missing scheme means ``http``; ``hxxp``/``hxxps`` and ``[.]``/``(.)``
    are un-defanged; scheme and host are lower-cased, the host is punycode without trailing dot;
    default ports, credentials, tracking parameters, empty queries and fragments (except
    ``#/...`` and ``#!/...`` routes) are removed; dot segments are resolved and percent-encoding
    is normalised without changing which characters are reserved.
    """
    if not isinstance(raw, str):
        raise InvalidURL("empty")
    text = _unwrap(raw)
    if not text:
        raise InvalidURL("empty")
    if len(text) > MAX_LENGTH:
        raise InvalidURL("too_long")
    if _FORBIDDEN.search(text):
        raise InvalidURL("nul")
    colon = text.find(":")
    if colon > 0 and _INVISIBLE.search(text, 0, colon):
        # "ht\u200btps://": only when what is left is a scheme ("exa\u200cmple.com:80" is a host).
        name = _INVISIBLE.sub("", text[:colon])
        if name.lower() in _SCHEMES:
            text = name + text[colon:]

    scheme, rest = _split_scheme(text)

    # The authority ends at the first "/", "?" or "#"; before the query a backslash is a slash.
    if "\\" in rest:
        found = _QUERY_START.search(rest)
        end = found.start() if found else len(rest)
        rest = rest[:end].replace("\\", "/") + rest[end:]
    found = _AUTHORITY_END.search(rest)
    end = found.start() if found else len(rest)
    authority, rest = rest[:end], rest[end:]

    fragment = ""
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
    path = rest or "/"

    host, is_ipv6, port = _split_authority(authority, scheme)
    host, is_ip = _canonical_host(host, is_ipv6)
    registrable = host if is_ip else _registrable_domain(host)

    path = _PATH_FIX.sub(_fix_escape, path)
    if "/." in path:
        path = _remove_dot_segments(path)

    if query:
        query = _canonical_query(query, site_tracking_parameters(registrable))
    route = fragment.startswith(("/", "!/"))
    if not is_ip and port is None and not route:
        alias = canonical_alias(host, path, query)
        if alias is not None:
            scheme, (host, path, query) = "https", alias
            registrable = _registrable_domain(host)

    parts = [scheme, "://", f"[{host}]" if is_ipv6 else host]
    if port is not None:
        parts += [":", str(port)]
    parts.append(path)
    if query:
        parts += ["?", query]
    if route:
        parts += ["#", _QUERY_FIX.sub(_fix_escape, fragment)]
    url = "".join(parts)
    if len(url) > MAX_LENGTH:
        raise InvalidURL("too_long")
    return CanonicalURL(url=url, host=host, registrable_domain=registrable)


def _unwrap(raw: str) -> str:
    text = _EDGES.sub("", raw)
    while len(text) >= 2 and _WRAPPERS.get(text[0]) == text[-1]:
        text = _EDGES.sub("", text[1:-1])
    return text


def _split_scheme(text: str) -> tuple[str, str]:
    """Return the canonical scheme and what follows ``scheme:`` and its slashes."""
    if "[:]" in text[:9]:
        text = _DEFANGED_COLON.sub(r"\1:", text, count=1)
    match = _SCHEME.match(text)
    if match is None:
        # No scheme: "example.com/a", "//example.com", "[2001:db8::1]:8080".
        if text.startswith(("//", "\\\\")):
            text = text.lstrip("/\\")
        return "http", text
    name = match.group()[:-1].lower()
    rest = text[match.end() :]
    if name in _SCHEMES:
        # As browsers do, any number of slashes (or backslashes) may follow "http:".
        return _SCHEMES[name], rest.lstrip("/\\")
    if not rest.startswith("//") and ("." in name or name == "localhost"):
        # "example.com:8080/a" and "localhost:8000" are a host and port, not a scheme.
        return "http", text
    raise InvalidURL("scheme")


def _split_authority(authority: str, scheme: str) -> tuple[str, bool, int | None]:
    """Drop the user information; return the raw host, whether it is IPv6, and a port to show."""
    if "@" in authority:
        authority = authority.rpartition("@")[2]
    if "[.]" in authority or "(.)" in authority:
        authority = authority.replace("[.]", ".").replace("(.)", ".")
    authority = _INVISIBLE_NON_JOINER.sub("", authority)  # joiners: see _canonical_host
    if not authority:
        raise InvalidURL("no_host")

    is_ipv6 = authority.startswith("[")
    if is_ipv6:
        close = authority.find("]")
        if close == -1:
            raise InvalidURL("bad_host")
        host, after = authority[1:close], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise InvalidURL("bad_host")
        port_text = after[1:]
    else:
        host, _, port_text = authority.partition(":")
    if not host:
        raise InvalidURL("no_host")

    port_text = _JOINERS.sub("", port_text)
    if not _PORT.fullmatch(port_text):
        raise InvalidURL("bad_host")
    port_text = port_text.lstrip("0") or port_text[:1]
    if not port_text:
        return host, is_ipv6, None
    if len(port_text) > 5 or int(port_text) > 65535:
        raise InvalidURL("bad_host")
    port = int(port_text)
    return host, is_ipv6, None if port == _DEFAULT_PORTS[scheme] else port


def _canonical_host(host: str, is_ipv6: bool) -> tuple[str, bool]:
    """Return the canonical host and whether it is an IP address."""
    if is_ipv6:
        host = _JOINERS.sub("", host)
        if "%" in host:  # zone identifiers mean nothing outside the reporter's own machine
            raise InvalidURL("bad_host")
        try:
            return ipaddress.IPv6Address(host).compressed, True
        except ValueError:
            raise InvalidURL("bad_host") from None

    if "%" in host:
        host = _INVISIBLE_NON_JOINER.sub("", _percent_decode_host(host))
    if _JOINERS.search(host):
        host = _drop_stray_joiners(host)
    if not host.isascii():
        host = _idna_encode(host)
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise InvalidURL("bad_host")

    labels = host.split(".")
    if _ends_in_number(labels[-1]):
        return _parse_ipv4(labels), True
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidURL("bad_host")
    return host, False


def _drop_stray_joiners(host: str) -> str:
    """Remove zero-width (non-)joiners from labels that are ASCII without them.

    In other labels IDNA 2008 keeps a joiner where its CONTEXTJ rules allow it (after a virama,
    between Arabic letters); elsewhere the IDNA 2003 fallback of ``_idna_encode`` drops it.
    """
    labels = _IDNA_DOTS.split(host)
    return ".".join(
        _JOINERS.sub("", label) if _JOINERS.sub("", label).isascii() else label for label in labels
    )


def _percent_decode_host(host: str) -> str:
    data = bytearray()
    i = 0
    while i < len(host):
        char = host[i]
        escape = host[i : i + 3]
        if char == "%" and len(escape) == 3 and escape in _ESCAPES:
            data.append(int(escape[1:], 16))
            i += 3
        else:
            data += char.encode("utf-8")
            i += 1
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidURL("bad_host") from None


def _idna_encode(host: str) -> str:
    """Punycode each non-ASCII label: UTS 46 / IDNA 2008, else the IDNA 2003 codec."""
    labels = []
    for label in _IDNA_DOTS.split(host):
        if label and not label.isascii():
            try:
                label = idna.encode(label, uts46=True, transitional=False).decode("ascii")
            except idna.IDNAError:
                try:
                    label = label.encode("idna").decode("ascii")
                except UnicodeError:
                    raise InvalidURL("bad_host") from None
        labels.append(label)
    return ".".join(labels)


def _ipv4_number(text: str) -> int | None:
    """WHATWG "IPv4 number parser": decimal, 0x-hex or 0-octal; None if it is not a number."""
    base = 10
    if text.startswith("0x"):
        text, base = text[2:], 16
    elif len(text) > 1 and text.startswith("0"):
        text, base = text[1:], 8
    if not text:
        return 0
    if not _DIGITS[base].fullmatch(text):
        return None
    if len(text) > 32:  # far beyond 2**32 in any base; spares int() a huge string
        return 2**64
    return int(text, base)


def _ends_in_number(label: str) -> bool:
    """WHATWG "ends in a number": such a host must be an IPv4 address (``example.123`` is not)."""
    return bool(_DIGITS[10].fullmatch(label)) or (bool(label) and _ipv4_number(label) is not None)


def _parse_ipv4(labels: list[str]) -> str:
    """WHATWG IPv4 parser: ``3232235521``, ``0xC0.168.1`` and ``192.168.0.1`` are one address."""
    if len(labels) > 4:
        raise InvalidURL("bad_host")
    numbers = []
    for label in labels:
        number = _ipv4_number(label) if label else None
        if number is None:
            raise InvalidURL("bad_host")
        numbers.append(number)
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidURL("bad_host")
    address = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        address += number * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(address))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for an absolute path."""
    segments = path.split("/")
    output: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")
    return "/" + "/".join(output)


def _canonical_query(query: str, site_parameters: frozenset[str]) -> str:
    """Normalise each ``&``-separated parameter; drop empty and tracking ones, keep the order.

    ``site_parameters`` are the share-link parameters of the site (``share_tracking``).
    """
    kept = []
    for parameter in query.split("&"):
        if not parameter:
            continue
        parameter = _QUERY_FIX.sub(_fix_escape, parameter)
        name = parameter.partition("=")[0].lower()
        if name in TRACKING_PARAMETERS or name.startswith(_TRACKING_PREFIX):
            continue
        if site_parameters and _parameter_name(name) in site_parameters:
            continue
        kept.append(parameter)
    return "&".join(kept)


def _parameter_name(name: str) -> str:
    """The name as the site tables list it: decoded, without an ``[n]`` suffix.

    ``%24deep_link`` -> ``$deep_link``, ``__cft__%5B0%5D`` -> ``__cft__``.
    """
    if "%" in name:
        name = unquote(name, errors="replace")
    if name.endswith("]") and "[" in name:
        name = name[: name.index("[")]
    return name


def _registrable_domain(host: str) -> str:
    return _public_suffix_list().privatesuffix(host) or host
