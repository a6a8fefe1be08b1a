"""E-mail intake: messages in a Maildir or an IMAP(S) mailbox become hotline reports.

``python -m sigurnet ingest_email`` calls :func:`ingest_maildir` or :func:`ingest_imap`; both
hand each message's bytes to :func:`ingest_message`, which

* skips a message that was handled before (``IngestedEmail``, keyed by :func:`message_key`, a
  keyed hash of its Message-ID and of its bytes: a different message that reuses a Message-ID
  is a new message);
* keeps it with a dispatch (``DispatchReply``: the police, a host or a partner hotline wrote
  back) when its In-Reply-To/References name mail sent for that dispatch
  (``forwarding.replies.dispatch_replied_to``), automatic replies and bounces included: never
  a report, never answered, and the dispatch's status stays as it is;
* holds it for a person (``HeldEmail``, raw bytes base64-encoded, then encrypted by the field)
  when it is no e-mail at all, an automatic reply or bounce, empty, or when filing it fails;
* adds a reply to its report as the reporter's message (``services.add_reporter_message``:
  a report waiting for information returns to the queue, flagged as answered), without a new
  acknowledgement, when its In-Reply-To/References name mail the outbox sent about a report or
  its subject names a report's reference, AND it comes from that report's contact address
  (see :func:`reply_text` for what is kept of it); from any other address it is filed as a new
  report whose description names the report it mentions;
* otherwise files a report (channel "email", category "other") with the text, the web
  addresses found in it and its attachments as evidence, and writes the acknowledgement to the
  sender into the outbox in the same transaction (``tasks.enqueue_email_acknowledgement``;
  ``core.outbox`` sends it after the commit).

Once its report or held copy is committed, a message is removed from the mailbox (Maildir: the
file is deleted; IMAP: flagged as deleted and expunged by UID), so a run after retention has
deleted the report cannot file it again. The ``IngestedEmail`` record covers a crash between the
commit and the removal. A message that could not be handled at all (the database is down) stays
unread for the next run. One message's failure never stops the others. Reasons stored in
``HeldEmail.reason`` (a plain, unencrypted column) never contain anything taken from the
message.
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import logging
import os
import re
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from publicsuffixlist import PublicSuffixList

from sigurnet.core.crypto import blind_index
from sigurnet.core.models import OutgoingMessage
from sigurnet.hotline import evidence
from sigurnet.hotline.canonical import InvalidURL, canonicalize
from sigurnet.hotline.forwarding.replies import dispatch_replied_to, keep_reply
from sigurnet.hotline.models import (
    Category,
    Channel,
    Dispatch,
    Evidence,
    HeldEmail,
    IngestedEmail,
    Report,
)
from sigurnet.hotline.models import Message as HotlineMessage
from sigurnet.hotline.services import ReportSubmission, add_reporter_message, file_report
from sigurnet.hotline.tasks import enqueue_email_acknowledgement

log = logging.getLogger(__name__)

# Every web address of an e-mail becomes a content item of its one report (the web form's limit
# of 20 is for typing). Beyond this the message is held for a person: a list that long is a data
# dump, not a report (and ReportedURL.position is a small integer).
MAX_URLS = 5_000
MAX_DESCRIPTION = 5000
MAX_ATTACHMENTS = 10
MAX_FORWARD_DEPTH = 3
# Text without a declared charset that is not UTF-8: the usual legacy encoding of the region.
FALLBACK_CHARSET = "windows-1250"
IMAP_TIMEOUT_SECONDS = 60
# A record of an older version stands for a Maildir message delivered before it was made;
# this much allows for a clock set back a little.
LEGACY_CLOCK_SLACK = timedelta(minutes=5)
# The new text of a reply to a dispatch kept for the page (the whole message is kept too).
MAX_DISPATCH_REPLY_TEXT = 20_000

FILED = "filed"
REPLIED = "replied"  # joined an existing report as the reporter's message
DISPATCH_REPLIED = "dispatch_replied"  # kept with the dispatch it answers
HELD = "held"
SKIPPED = "skipped"
FAILED = "failed"  # not handled at all (the database is down): left in the mailbox

# Parts that carry no content of their own (signatures, delivery reports).
_IGNORED_TYPES = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "message/delivery-status",
        "message/disposition-notification",
    }
)
_PRECEDENCE_AUTOMATIC = frozenset({"bulk", "junk", "auto_reply", "auto-reply"})
_NO_BOUNDARY_NOTE = "[multipart message without a MIME boundary: its body is shown as it came]"

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[A-Za-z0-9_.\-]{1,40}")
_LINK_SCHEME = re.compile(r"(?i)h(?:tt|xx)ps?(?::|\[:\])//")
# Characters that show as nothing (zero-width space and joiners, word joiner and the invisible
# operators, byte-order mark, Mongolian vowel separator, bidirectional marks, embeddings,
# overrides and isolates). They end a web address, like the spaces (no-break and narrow
# no-break spaces included) that ``\s`` stands for.
INVISIBLE = (
    "\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# Candidates only; each one is validated (and un-defanged) by ``canonicalize``.
_URL_CANDIDATE = re.compile(
    rf"""
      (?: \b h(?:tt|xx)ps? (?: : | \[:\] ) //       # http://, hxxps://, https[:]//
        | \b www (?: \. | \[\.\] ) (?=\w)           # www.example.com
      ) [^\s<>"'`\u00ab\u00bb\u201c\u201d\u201e{INVISIBLE}]+
    | (?<![\w@.\-/\[])                              # evil[.]example[.]com/path
      [\w\-]+ (?: \[\.\] [\w\-]+ )+ (?: [/?#:] [^\s<>"'`{INVISIBLE}]* )?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING = ".,;:!?'\"*_~\u2019\u201d\u00bb"
_PAIRS = {")": "(", "]": "[", "}": "{"}


class IntakeError(Exception):
    """The mailbox cannot be read at all (bad configuration, unreachable server)."""


class NotAnEmail(ValueError):
    """The bytes are no e-mail message."""


@dataclass(frozen=True)
class Result:
    outcome: str  # FILED, REPLIED, DISPATCH_REPLIED, HELD, SKIPPED or FAILED
    report_id: int | None = None
    reason: str = ""
    dispatch_id: int | None = None


@dataclass
class Counts:
    filed: int = 0
    held: int = 0
    skipped: int = 0
    failed: int = 0
    unremoved: int = 0  # handled, but still in the mailbox (see the log)
    replied: int = 0
    dispatch_replied: int = 0

    @property
    def handled(self) -> int:
        return self.filed + self.held + self.replied + self.dispatch_replied

    def add(self, result: Result) -> None:
        setattr(self, result.outcome, getattr(self, result.outcome) + 1)

    def merge(self, other: Counts) -> None:
        self.filed += other.filed
        self.held += other.held
        self.skipped += other.skipped
        self.failed += other.failed
        self.unremoved += other.unremoved
        self.replied += other.replied
        self.dispatch_replied += other.dispatch_replied


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    subject: str
    sender: str  # a valid address, or ""
    body: str  # the text, forwarded messages included
    urls: list[str]  # as written (possibly defanged), validated, deduplicated, all of them
    attachments: list[Attachment]
    automatic: str  # why it is an automatic message, or ""
    notes: list[str] = field(default_factory=list)
    replied_to: list[str] = field(default_factory=list)  # In-Reply-To, then References


# --- Identity ------------------------------------------------------------------------------


def _message_id(raw: bytes) -> str:
    try:
        value = BytesHeaderParser().parsebytes(raw).get("Message-ID")
    except Exception:  # a header the parser chokes on: the bytes identify the message
        return ""
    return clean_text("".join(str(value).split())) if value is not None else ""


def message_key(raw: bytes) -> str:
    """The blind index that marks a message as handled: its Message-ID and its content.

    ``blind_index(Message-ID + SHA-256 of the bytes, "email-content")``, the bytes taken with
    Unix line ends (a Maildir stores LF, IMAP sends CRLF). A byte-identical re-delivery is the
    same message; a different message that reuses a Message-ID (one phishing campaign, many
    victims forwarding it) is not. A keyed hash: it holds nothing readable of the message.
    """
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()
    return blind_index(f"{_message_id(raw)}\n{digest}", "email-content")


def legacy_message_key(raw: bytes) -> str:
    """The key of versions before the content key: Message-ID alone (SHA-256 without one)."""
    return blind_index(_message_id(raw) or hashlib.sha256(raw).hexdigest(), "email")


def held_raw_bytes(held: HeldEmail) -> bytes:
    """The original message of a held e-mail (``HeldEmail.raw`` holds it base64-encoded)."""
    return base64.b64decode(held.raw)


def held_subject(held: HeldEmail) -> str:
    """The decoded Subject of a held e-mail (its headers only are parsed); "" if unreadable."""
    try:
        msg = BytesHeaderParser(policy=policy.default).parsebytes(held_raw_bytes(held))
        return header_text(msg, "Subject")[:300]
    except Exception:  # a message held because it could not be parsed
        return ""


# --- Parsing -------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Unix line ends; no NUL or other control characters, no lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if _SURROGATES.search(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes of a text part as text.

    No charset (or ``us-ascii``, which mail programs often declare for 8-bit text): UTF-8 when
    it decodes, else ``FALLBACK_CHARSET``. A known charset: decoded with ``errors="replace"``.
    An unknown one: UTF-8 with ``errors="replace"``.
    """
    name = (charset or "").strip().strip('"').lower()
    if name in {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown"}:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode(FALLBACK_CHARSET, "replace")
    try:
        return data.decode(name, "replace")
    except Exception:  # LookupError, or a codec that is no text encoding ("base64")
        return data.decode("utf-8", "replace")


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def header_text(msg: Message, name: str) -> str:
    """A header's decoded value on one line; raw 8-bit values are decoded like body text."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    if _SURROGATES.search(raw):  # 8-bit bytes without RFC 2047 encoding
        text = decode_text(raw.encode("utf-8", "surrogateescape"), None)
    else:
        try:
            text = str(msg.get(name, ""))
        except Exception:  # a header the policy cannot parse: its raw text will do
            text = raw
    return _SPACES.sub(" ", clean_text(text)).strip()


def sender_index(address: str) -> str:
    """The blind index of a sender address (trimmed, lower-cased); "" for no address."""
    address = address.strip().lower()
    return blind_index(address, "email-sender") if address else ""


def _sender(msg: Message) -> str:
    try:
        addresses = getattr(msg["From"], "addresses", ())
        for address in addresses:
            addr = clean_text(address.addr_spec)
            try:
                validate_email(addr)
            except ValidationError:
                continue
            return addr
    except Exception:  # a From header too broken to parse: no contact address
        log.info("Unreadable From header in an incoming e-mail")
    return ""


def automatic_reason(msg: Message) -> str:
    """Why the message is an automatic one (auto-reply, bounce, bulk, our own); "" if not."""
    auto = header_text(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        token = auto if _TOKEN.fullmatch(auto) else "?"
        return f"automatic message (Auto-Submitted: {token})"
    precedence = header_text(msg, "Precedence").lower()
    if precedence in _PRECEDENCE_AUTOMATIC:
        return f"automatic message (Precedence: {precedence})"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _raw_header(msg, name) is not None:
            return f"automatic reply ({name})"
    if header_text(msg, "Return-Path") == "<>":
        return "bounce (empty Return-Path)"
    sender = _sender(msg).lower()
    local = sender.partition("@")[0]
    if local in {"mailer-daemon", "mailer_daemon"} or "mailer-daemon" in header_text(
        msg, "From"
    ).lower().replace("_", "-"):
        return "bounce (from MAILER-DAEMON)"
    if msg.get_content_type() == "multipart/report":
        return "delivery or read report (multipart/report)"
    if sender and sender in _own_addresses():
        return "sent from this platform's own address (mail loop)"
    return ""


def _own_addresses() -> set[str]:
    own = {settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL}
    try:
        from sigurnet.core.selectors import get_profile

        own.add(get_profile().hotline_email)
    except Exception:  # no profile yet: the settings' addresses are enough
        log.debug("No deployment profile for the loop check")
    found = set()
    for text in own:
        match = re.search(r"[^\s<>]+@[^\s<>]+", text or "")
        if match:
            found.add(match.group().lower())
    return found


class _HTMLText(HTMLParser):
    """HTML to plain text: paragraphs on their own lines, links shown as ``text <href>``."""

    BLOCKS = frozenset(
        {
            "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
            "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
            "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
            "tr", "ul",
        }
    )  # fmt: skip
    SKIP = frozenset({"script", "style", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._anchors: list[tuple[str, int]] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        if tag in {"a", "area"}:
            href = (dict(attrs).get("href") or "").strip()
            if not _LINK_SCHEME.match(href):
                href = ""
            if href:
                self.links.append(href)
            if tag == "a":
                self._anchors.append((href, len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag == "a" and self._anchors:
            href, start = self._anchors.pop()
            shown = "".join(self.parts[start:])
            if href and href not in shown:
                self.parts.append(f" <{href}>")
        if tag in self.BLOCKS and tag != "li":  # items follow each other without a gap
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> tuple[str, list[str]]:
    """The text of an HTML document, and the http(s) addresses of its links (in order)."""
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is for the truly unexpected
        log.info("HTML part could not be read completely")
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text, parser.links


def _trim_candidate(text: str) -> str:
    while text:
        last = text[-1]
        if last in _TRAILING or (last in _PAIRS and text.count(last) > text.count(_PAIRS[last])):
            text = text[:-1]
        else:
            break
    return text


def url_candidates(text: str) -> list[str]:
    """Things in the text that look like web addresses (validated later)."""
    return [_trim_candidate(m.group()) for m in _URL_CANDIDATE.finditer(text)]


@cache
def _suffix_list() -> PublicSuffixList:
    return PublicSuffixList()  # the copy shipped with the package; never downloaded


def _known_suffix(host: str) -> bool:
    """Whether the host ends in a real public suffix (written without a scheme, it must)."""
    return _suffix_list().publicsuffix(host, accept_unknown=False) is not None


def select_urls(candidates: Iterable[str]) -> list[str]:
    """Valid, distinct (by canonical form) addresses, in the order given.

    An address written without a scheme (``www.example.com``, ``evil[.]example[.]com``)
    counts only when its host ends in a known public suffix.
    """
    seen: set[str] = set()
    chosen: list[str] = []
    for candidate in candidates:
        try:
            parsed = canonicalize(candidate)
        except InvalidURL:
            continue
        if not _LINK_SCHEME.match(candidate) and not _known_suffix(parsed.host):
            continue  # "report[.]pdf" is a file name, not a site
        canonical = parsed.url
        if canonical in seen:
            continue
        seen.add(canonical)
        chosen.append(candidate)
    return chosen


def _leaves(part: Message) -> Iterator[Message]:
    """Non-multipart parts in order; a forwarded message (message/rfc822) is one leaf."""
    if part.get_content_type() == "message/rfc822":
        yield part
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _leaves(sub)
        return
    yield part


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = clean_text(str(name)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or f"attachment-{index}"


@dataclass
class _Collected:
    links: list[str] = field(default_factory=list)  # hrefs of HTML links
    url_texts: list[str] = field(default_factory=list)  # read for addresses, not described
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read_body(msg: Message, depth: int, collected: _Collected) -> str:
    plain: list[str] = []
    html: list[str] = []
    forwarded: list[str] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        if ctype in _IGNORED_TYPES:
            continue
        if ctype == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if not isinstance(inner, Message):
                continue
            if depth >= MAX_FORWARD_DEPTH:
                forwarded.append("[forwarded message nested too deeply: not read]")
                continue
            heading = ["---------- Forwarded message ----------"]
            for name in ("From", "Date", "Subject", "To"):
                value = header_text(inner, name)
                if value:
                    heading.append(f"{name}: {value}")
            text = _read_body(inner, depth + 1, collected)
            forwarded.append("\n".join(heading) + "\n\n" + text)
            continue
        if part.get_content_maintype() == "multipart":  # no boundary: no parts to tell apart
            plain.append(clean_text(decode_text(_payload(part), part.get_content_charset())))
            if _NO_BOUNDARY_NOTE not in collected.notes:
                collected.notes.append(_NO_BOUNDARY_NOTE)
            continue
        inline = part.get_content_disposition() != "attachment"
        if ctype == "text/plain" and inline:
            plain.append(clean_text(decode_text(_payload(part), part.get_content_charset())))
        elif ctype == "text/html" and inline:
            text, links = html_to_text(decode_text(_payload(part), part.get_content_charset()))
            html.append(clean_text(text))
            # Every alternative is read for addresses (the plain one may lack some), each
            # link with its href and the text it shows; the description keeps the plain text.
            collected.url_texts.append(html[-1])
            collected.links.extend(clean_text(link) for link in links)
        else:
            data = _payload(part)
            if part.get_content_maintype() == "text":
                # Evidence text files are stored as UTF-8.
                charset = part.get_content_charset()
                if charset:
                    try:
                        data = data.decode(charset).encode("utf-8")
                    except Exception:  # kept as it came; evidence.inspect decides
                        log.debug("Text attachment not in its declared charset")
            collected.attachments.append(
                Attachment(
                    filename=_filename(part, len(collected.attachments) + 1),
                    content_type=ctype,
                    data=data,
                )
            )
    texts = [t.strip() for t in (plain or html) if t.strip()]
    texts += [t.strip() for t in forwarded]
    return _BLANK_LINES.sub("\n\n", "\n\n".join(texts))


def parse_email(raw: bytes) -> ParsedEmail:
    """Read one message; raise NotAnEmail when the bytes are no e-mail message."""
    msg = message_from_bytes(raw, policy=policy.default)
    if not msg.keys():
        raise NotAnEmail("not an e-mail message (no header fields)")
    collected = _Collected()
    subject = header_text(msg, "Subject")[:300]
    body = _read_body(msg, 0, collected)
    candidates = url_candidates(subject) + url_candidates(body)
    for text in collected.url_texts:
        candidates += url_candidates(text)
    urls = select_urls(candidates + collected.links)
    return ParsedEmail(
        subject=subject,
        sender=_sender(msg),
        body=body,
        urls=urls,
        attachments=collected.attachments,
        automatic=automatic_reason(msg),
        notes=collected.notes,
        replied_to=_replied_to(msg),
    )


def build_description(subject: str, body: str, notes: list[str]) -> str:
    """Subject, body and notes, at most MAX_DESCRIPTION characters; the notes always fit."""
    tail = "\n\n" + "\n".join(notes) if notes else ""
    head = subject + "\n\n" if subject and body else subject
    budget = MAX_DESCRIPTION - len(head) - len(tail)
    if len(body) > budget:
        body = body[: max(0, budget - 1)].rstrip() + "\u2026"
    return (head + body + tail)[:MAX_DESCRIPTION].strip()


# --- Replies -------------------------------------------------------------------------------

# A report's reference as ``file_report`` writes it.
_REFERENCE = re.compile(r"\bSIG-\d{4}-\d{6,}\b", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
# Message-IDs of In-Reply-To and References looked up at most (the newest ones).
MAX_REPLIED_TO = 20
# The outbox keys of the mail a reporter may answer: an acknowledgement names the report, a
# question or feedback names the hotline's message.
_ACK_KEY = "hotline.email_ack:"
_REPORTER_MAIL_KEY = "hotline.reporter_mail:"
# The line a mail program writes above the quoted message ("On Tue, ... X wrote:").
_WROTE = (
    r"(?:wrote|writes|schrieb|a\s+écrit|napisao|napisala|napisao\s*\(la\)|napisao/la|napisa|"
    r"piše|написао|написала|написао/ла|написа|пише)\s*:\s*$"
)
_ATTRIBUTION_END = re.compile(_WROTE, re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"^\s*(?:On|Am|Le|El|Il|Op|Dana|Dne|U|\u0423|Дана)\s.*" + _WROTE, re.IGNORECASE
)
_VERB_ONLY = re.compile(r"^\s*" + _WROTE, re.IGNORECASE)
# Separators above a quoted message that is not marked with ">" (Outlook and others).
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|izvorna poruka|originalna poruka|изворна порука|"
    r"оригинална порука)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*(?:From|Od|Šalje|Пошиљалац|Од):\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*(?:Sent|Poslato|Poslano|Послато):\s", re.IGNORECASE)


def _replied_to(msg: Message) -> list[str]:
    """The Message-IDs this message answers: In-Reply-To first, then References newest first."""
    found: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids = _MESSAGE_ID.findall(header_text(msg, name))
        for message_id in ids if name == "In-Reply-To" else reversed(ids):
            if message_id not in found:
                found.append(message_id)
    return found[:MAX_REPLIED_TO]


def reply_text(body: str) -> str:
    """The new part of a reply: without the lines quoted with ">", the "On ... wrote:" line
    above them, and a quoted message below "-----Original Message-----" (or an Outlook
    "From:/Sent:" block, or an attribution line followed by unmarked text, as HTML mail reads).
    Answers written between quoted lines are kept."""
    lines = body.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = [rest for rest in lines[index + 1 :] if rest.strip()]
        if _ORIGINAL_MESSAGE.match(line):
            break
        if _OUTLOOK_FROM.match(line) and following and _OUTLOOK_SENT.match(following[0]):
            break
        # An attribution names a date (or an address): "U grupi je napisao:" is the reporter's.
        if (
            _ATTRIBUTION.match(line)
            and re.search(r"\d", line)
            and not any(rest.lstrip().startswith(">") for rest in following)
        ):
            break  # the quote below it is not marked (an HTML reply read as text)
        if line.lstrip().startswith(">"):
            while kept and not kept[-1].strip():
                kept.pop()
            if kept and _ATTRIBUTION_END.search(kept[-1]):
                if _VERB_ONLY.match(kept[-1]):
                    # "On Tue, 1 Dec 2026, Sigurnet <hotline@example.org>" wrapped before "wrote:"
                    if len(kept) > 1 and re.search(r"[@\d]", kept[-2]):
                        del kept[-2:]
                elif re.search(r"[@\d]", kept[-1]):
                    kept.pop()
            kept.append("")  # an answer between quotes stays apart from the one above
            continue
        kept.append(line)
    return _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in kept)).strip()


def _reports_replied_to(parsed: ParsedEmail) -> list[Report]:
    """The existing reports this message says it answers, most specific first: those of the
    outbox mail its In-Reply-To/References name, then those its subject names."""
    report_ids: list[int] = []
    if parsed.replied_to:
        keys = OutgoingMessage.objects.filter(message_id__in=parsed.replied_to).values_list(
            "message_id", "key"
        )
        by_id = dict(keys)
        message_ids: list[int] = []
        for message_id in parsed.replied_to:
            key = by_id.get(message_id) or ""
            number = key.rpartition(":")[2]
            if not number.isdigit():
                continue
            if key.startswith(_ACK_KEY):
                report_ids.append(int(number))
            elif key.startswith(_REPORTER_MAIL_KEY):
                message_ids.append(int(number))
        if message_ids:
            found = dict(
                HotlineMessage.objects.filter(pk__in=message_ids).values_list("pk", "report_id")
            )
            report_ids += [found[pk] for pk in message_ids if pk in found]
    reports = {report.pk: report for report in Report.objects.filter(pk__in=report_ids)}
    ordered = [reports[pk] for pk in dict.fromkeys(report_ids) if pk in reports]
    references = list(dict.fromkeys(ref.upper() for ref in _REFERENCE.findall(parsed.subject)))
    if references:
        named = {r.reference: r for r in Report.objects.filter(reference__in=references)}
        ordered += [named[ref] for ref in references if ref in named and named[ref] not in ordered]
    return ordered


def _from_reporter(report: Report, sender: str) -> bool:
    """Whether the sender is the report's contact address (anyone can type a reference)."""
    contact = (report.contact_email or "").strip().lower()
    return bool(contact and sender) and contact == sender.strip().lower()


def _known_canonicals(report: Report) -> set[str]:
    return set(report.reported_urls.values_list("content_item__canonical", flat=True))


def _add_reply(raw: bytes, key: str, source: str, parsed: ParsedEmail, report: Report) -> Result:
    """Add a reply from the report's own reporter to the report as their message."""
    text = reply_text(parsed.body)
    known = _known_canonicals(report)
    urls = []
    for url in select_urls(url_candidates(parsed.subject) + url_candidates(text)):
        if canonicalize(url).url not in known:
            urls.append(url)
    if not text and not urls and not parsed.attachments:
        return _hold(raw, key, source, "a reply to a report without new text: for a person")
    stored: list[str] = []
    try:
        with transaction.atomic():
            evidence_ids, notes = _store_attachments(parsed.attachments, stored)
            if evidence_ids:
                Evidence.objects.filter(pk__in=evidence_ids, report__isnull=True).update(
                    report=report
                )
                notes.append(f"[{len(evidence_ids)} attachment(s) added to the evidence]")
            extra = [url for url in urls if url not in text]
            if extra:
                text = (text + "\n\n" if text else "") + "\n".join(extra)
            add_reporter_message(
                report,
                text=build_description("", text, notes + parsed.notes),
                urls=urls,
                urls_in_text=True,
            )
            IngestedEmail.objects.create(message_id_index=key, report=report)
    except Exception as exc:
        _remove_files(stored)
        if isinstance(exc, OperationalError | InterfaceError):
            raise
        if _already_ingested(key):
            return Result(SKIPPED)
        log.exception("Could not add an incoming reply from %s to its report", source)
        return _hold(raw, key, source, f"reply could not be added ({type(exc).__name__})")
    log.info("Added a reply from %s to %s", source, report.reference)
    return Result(REPLIED, report_id=report.pk)


def _keep_dispatch_reply(
    raw: bytes, key: str, source: str, parsed: ParsedEmail, dispatch: Dispatch
) -> Result:
    """Keep a reply to a dispatch with it: its new text, sender, subject and attachment names
    for the dispatch's page, and the original message. Nothing goes out; no report."""
    text = reply_text(parsed.body)
    if len(text) > MAX_DISPATCH_REPLY_TEXT:
        text = text[: MAX_DISPATCH_REPLY_TEXT - 1].rstrip() + "\u2026"
    try:
        with transaction.atomic():
            keep_reply(
                dispatch,
                raw=base64.b64encode(raw).decode("ascii"),
                message_key=key,
                source=source,
                sender=parsed.sender,
                subject=parsed.subject,
                text=text,
                attachment_names=[attachment.filename for attachment in parsed.attachments],
                automatic=parsed.automatic,
            )
            IngestedEmail.objects.create(message_id_index=key, report=None)
    except Exception as exc:
        if isinstance(exc, OperationalError | InterfaceError):
            raise
        if _already_ingested(key):
            return Result(SKIPPED)
        log.exception("Could not keep an incoming reply from %s with its dispatch", source)
        return _hold(
            raw, key, source, f"reply to a dispatch not kept ({type(exc).__name__})", parsed.sender
        )
    log.info("Kept a reply from %s with dispatch %s", source, dispatch.pk)
    return Result(DISPATCH_REPLIED, dispatch_id=dispatch.pk)


# --- Filing --------------------------------------------------------------------------------


def _store_attachments(
    attachments: list[Attachment], stored: list[str]
) -> tuple[list[int], list[str]]:
    """Evidence rows for the acceptable attachments; notes for the others."""
    ids: list[int] = []
    notes: list[str] = []
    for index, attachment in enumerate(attachments):
        name = attachment.filename
        if index >= MAX_ATTACHMENTS:
            notes.append(f"[attachment not kept: {name}: more than {MAX_ATTACHMENTS} attachments]")
            continue
        try:
            clean = evidence.inspect(attachment.data)
        except evidence.EvidenceRejected as exc:
            notes.append(f"[attachment not kept: {name}: {exc}]")
            continue
        storage_name = evidence.write_encrypted(clean)
        stored.append(storage_name)
        row = Evidence.objects.create(
            storage_name=storage_name,
            original_name=name,
            content_type=clean.content_type,
            size=len(clean.content),
        )
        ids.append(row.pk)
    return ids, notes


def _remove_files(storage_names: list[str]) -> None:
    for name in storage_names:
        try:
            (evidence.evidence_root() / name).unlink(missing_ok=True)
        except OSError:
            log.warning("Could not remove the orphaned evidence file %s", name)


def _already_ingested(key: str) -> bool:
    return IngestedEmail.objects.filter(message_id_index=key).exists()


def _hold(raw: bytes, key: str, source: str, reason: str, sender: str = "") -> Result:
    try:
        with transaction.atomic():
            HeldEmail.objects.create(
                source=source[:200],
                message_id_index=key,
                sender_index=sender_index(sender),
                raw=base64.b64encode(raw).decode("ascii"),
                reason=reason[:300],
            )
            IngestedEmail.objects.create(message_id_index=key, report=None)
    except IntegrityError:
        if _already_ingested(key):  # a parallel run handled it a moment ago
            return Result(SKIPPED)
        raise
    log.info("Held an incoming e-mail from %s: %s", source, reason)
    return Result(HELD, reason=reason)


def _claim_legacy_record(raw: bytes, key: str, handled_before: datetime) -> bool:
    """Whether an older version already handled this message; its record then takes ``key``.

    Versions before the content key kept handled messages in the Maildir (``cur/``, flag S)
    and keyed their records on the Message-ID alone. Such a record counts for the first
    message with that Message-ID that was delivered before the record was made; the others
    (a reused Message-ID) are new messages.
    """
    try:
        with transaction.atomic():
            claimed = IngestedEmail.objects.filter(
                message_id_index=legacy_message_key(raw),
                ingested_at__gte=handled_before - LEGACY_CLOCK_SLACK,
            ).update(message_id_index=key)
    except IntegrityError:  # a parallel run recorded this very message a moment ago
        return True
    return claimed > 0


def ingest_message(raw: bytes, *, source: str, handled_before: datetime | None = None) -> Result:
    """File one message as a report, or hold it; SKIPPED if it was handled before.

    ``handled_before``: when the mailbox says the message was handled (a Maildir file in
    ``cur/`` with the S flag), the time it was delivered; a record of an older version may then
    stand for it (see :func:`_claim_legacy_record`).

    Raises ``OperationalError``/``InterfaceError`` when the database cannot be reached: the
    message is then neither filed nor held and must stay in the mailbox.
    """
    key = message_key(raw)
    if _already_ingested(key):
        return Result(SKIPPED)
    if handled_before is not None and _claim_legacy_record(raw, key, handled_before):
        return Result(SKIPPED)
    try:
        parsed = parse_email(raw)
    except NotAnEmail as exc:
        return _hold(raw, key, source, str(exc))
    except Exception as exc:
        log.warning("Could not parse an incoming e-mail from %s", source, exc_info=True)
        return _hold(raw, key, source, f"could not be parsed ({type(exc).__name__})")
    # Before anything else: an answer to a dispatch (even an automatic one, even one that
    # names a report's reference) belongs to the dispatch, never to the report queue.
    dispatch = dispatch_replied_to(parsed.replied_to)
    if dispatch is not None:
        return _keep_dispatch_reply(raw, key, source, parsed, dispatch)
    if parsed.automatic:
        return _hold(raw, key, source, parsed.automatic, parsed.sender)
    if not parsed.body.strip() and not parsed.urls and not parsed.attachments:
        return _hold(raw, key, source, "empty: no text, web address or attachment", parsed.sender)
    if len(parsed.urls) > MAX_URLS:
        return _hold(
            raw,
            key,
            source,
            f"more than {MAX_URLS} web addresses: for a person",
            parsed.sender,
        )
    replied = _reports_replied_to(parsed)
    for report in replied:
        if _from_reporter(report, parsed.sender):
            return _add_reply(raw, key, source, parsed, report)
    if replied:
        # Not from the reporter: a report of its own, as any e-mail, that tells the analyst
        # which report it names (they may link it; nothing joins a report on a reference alone).
        named = ", ".join(str(report.reference) for report in replied)
        parsed.notes.append(
            f"[this e-mail names the existing report(s) {named}, but was not sent from the "
            "contact address of the report: it was filed as a new report]"
        )

    stored: list[str] = []
    try:
        with transaction.atomic():
            evidence_ids, notes = _store_attachments(parsed.attachments, stored)
            submission = ReportSubmission(
                category=Category.OTHER,
                language=settings.LANGUAGE_CODE,
                urls=parsed.urls,
                description=build_description(parsed.subject, parsed.body, notes + parsed.notes),
                contact_email=parsed.sender,
                contact_consent=bool(parsed.sender),
                evidence_ids=evidence_ids,
            )
            filed = file_report(submission, channel=Channel.EMAIL)
            IngestedEmail.objects.create(message_id_index=key, report=filed.report)
            if parsed.sender:
                enqueue_email_acknowledgement(filed.report)
    except Exception as exc:
        _remove_files(stored)
        if isinstance(exc, OperationalError | InterfaceError):
            raise  # the database went away: not a reason to hold the message
        if _already_ingested(key):
            return Result(SKIPPED)
        log.exception("Could not file an incoming e-mail from %s", source)
        return _hold(raw, key, source, f"could not be filed ({type(exc).__name__})", parsed.sender)
    log.info("Filed %s from an e-mail (%s)", filed.reference, source)
    return Result(FILED, report_id=filed.report.pk)


def _ingest_safely(raw: bytes, *, source: str, handled_before: datetime | None = None) -> Result:
    try:
        return ingest_message(raw, source=source, handled_before=handled_before)
    except Exception:  # the database is down (or even holding failed): leave it for next run
        log.exception("Could not handle an incoming e-mail from %s", source)
        return Result(FAILED)


# --- Maildir -------------------------------------------------------------------------------


MAILDIR_FOLDERS = ("cur", "new", "tmp")


def _flags(name: str) -> str:
    _base, _sep, info = name.partition(":")
    return info[2:] if info.startswith("2,") else ""


def check_maildir(path: str | os.PathLike[str]) -> Path:
    """The Maildir's path; IntakeError when it is no Maildir."""
    root = Path(path)
    folders = [root / name for name in MAILDIR_FOLDERS]
    if not all(folder.is_dir() for folder in folders):
        paths = " ".join(str(path) for path in [root, *folders])
        raise IntakeError(
            f"{root} is not a Maildir (it needs the folders cur/, new/ and tmp/; create them "
            f"with --create-maildir, or: install -d -m 0700 {paths})"
        )
    return root


def create_maildir(path: str | os.PathLike[str]) -> Path:
    """Create a Maildir (the folders missing of cur/, new/, tmp/), readable by its owner only."""
    root = Path(path)
    for folder in [root, *(root / name for name in MAILDIR_FOLDERS)]:
        if not folder.is_dir():
            folder.mkdir(mode=0o700, parents=True)
            folder.chmod(0o700)  # whatever the umask
    return check_maildir(root)


def _remove_from_maildir(path: Path) -> bool:
    """Delete a handled message's file; False (and logged) when that fails."""
    try:
        path.unlink()
    except FileNotFoundError:  # another run removed it meanwhile
        pass
    except OSError:
        log.error("Could not remove the handled message %s from the Maildir", path)
        return False
    return True


def ingest_maildir(path: str | os.PathLike[str], *, limit: int | None = None) -> Counts:
    """Read new/ and cur/; each handled message's file is deleted once its report or held copy
    is committed. A message that could not be handled stays where it is."""
    root = check_maildir(path)
    entries = []
    for folder in ("new", "cur"):
        names = sorted(
            entry.name
            for entry in os.scandir(root / folder)
            if not entry.name.startswith(".") and entry.is_file()
        )
        entries += [(folder, name) for name in names]
    counts = Counts()
    for folder, name in entries:
        if limit is not None and counts.handled >= limit:
            break
        file = root / folder / name
        try:
            raw = file.read_bytes()
            delivered = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
        except FileNotFoundError:
            continue
        except OSError:
            log.exception("Could not read %s/%s", folder, name)
            counts.failed += 1
            continue
        marked_handled = folder == "cur" and "S" in _flags(name)
        result = _ingest_safely(
            raw,
            source=f"maildir:{root}/{folder}/{name}",
            handled_before=delivered if marked_handled else None,
        )
        counts.add(result)
        if result.outcome != FAILED and not _remove_from_maildir(file):
            counts.unremoved += 1
    return counts


# --- IMAP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImapSource:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    security: str = "ssl"  # "ssl" (imaps://), "starttls" (imap://...?starttls=yes) or "none"

    @property
    def label(self) -> str:
        return f"imap:{self.user}@{self.host}:{self.port}/{self.mailbox}"


def parse_imap_url(url: str) -> ImapSource:
    """``imaps://user:password@host:993/INBOX`` or ``imap://...:143/INBOX[?starttls=yes]``.

    User name, password and mailbox are percent-decoded. Error messages never show the URL.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in {"imap", "imaps"}:
        raise IntakeError("The IMAP URL must start with imaps:// or imap://")
    try:
        port = parts.port
    except ValueError:
        raise IntakeError("The IMAP URL has an invalid port") from None
    if not parts.hostname:
        raise IntakeError("The IMAP URL has no host")
    user = unquote(parts.username or "")
    if not user:
        raise IntakeError("The IMAP URL has no user name")
    starttls = parse_qs(parts.query).get("starttls", [""])[-1].lower()
    if scheme == "imaps":
        security = "ssl"
    elif starttls in {"1", "yes", "true", "required"}:
        security = "starttls"
    else:
        security = "none"
    return ImapSource(
        host=parts.hostname,
        port=port or (993 if scheme == "imaps" else 143),
        user=user,
        password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        security=security,
    )


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetched_bytes(data: list[Any]) -> bytes | None:
    for item in data or []:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _connect(source: ImapSource, context: ssl.SSLContext) -> imaplib.IMAP4:
    if source.security == "ssl":
        return imaplib.IMAP4_SSL(
            source.host, source.port, ssl_context=context, timeout=IMAP_TIMEOUT_SECONDS
        )
    conn = imaplib.IMAP4(source.host, source.port, timeout=IMAP_TIMEOUT_SECONDS)
    if source.security == "starttls":
        conn.starttls(ssl_context=context)
    elif source.host not in {"localhost", "127.0.0.1", "::1"}:
        log.warning("Reading %s without TLS: add ?starttls=yes or use imaps://", source.label)
    return conn


def _capabilities(conn: imaplib.IMAP4) -> set[str]:
    """The server's capabilities after login (many servers announce more than before it)."""
    status, data = conn.capability()
    words = data[0].split() if status == "OK" and data and isinstance(data[0], bytes) else []
    return {word.decode("ascii", "replace").upper() for word in words}


def _remove_from_imap(conn: imaplib.IMAP4, uid: str, uidplus: bool) -> bool:
    """Flag a handled message \\Seen and \\Deleted and expunge it (that UID only, with UIDPLUS;
    without it, CLOSE at the end of the run expunges it). False when the server refused."""
    status, _data = conn.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen \\Deleted)")
    if status != "OK":
        return False
    if uidplus:
        status, _data = conn.uid("EXPUNGE", uid)
    return status == "OK"


def ingest_imap(url: str, *, cafile: str | None = None, limit: int | None = None) -> Counts:
    """Read the UNSEEN messages (without marking them); remove each from the mailbox once its
    report or held copy is committed. A message that could not be handled stays unseen."""
    source = parse_imap_url(url)
    context = ssl.create_default_context(cafile=cafile or None)
    try:
        conn = _connect(source, context)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise IntakeError(f"Cannot connect to {source.label}: {type(exc).__name__}") from exc
    counts = Counts()
    try:
        try:
            conn.login(source.user, source.password)
        except imaplib.IMAP4.error as exc:
            raise IntakeError(f"IMAP login to {source.label} failed") from exc
        capabilities = _capabilities(conn)
        uidplus = "UIDPLUS" in capabilities
        status, _data = conn.select(_quoted(source.mailbox))
        if status != "OK":
            raise IntakeError(f"Cannot open the mailbox {source.label}")
        status, data = conn.uid("SEARCH", "UNSEEN")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids:
            if limit is not None and counts.handled >= limit:
                break
            status, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = _fetched_bytes(data) if status == "OK" else None
            if raw is None:
                log.warning("Could not fetch UID %s from %s", uid, source.label)
                counts.failed += 1
                continue
            result = _ingest_safely(raw, source=f"{source.label} UID {uid.decode()}")
            counts.add(result)
            # The report or the held copy is committed by now.
            if result.outcome != FAILED and not _remove_from_imap(conn, uid.decode(), uidplus):
                log.error("Could not remove UID %s from %s", uid.decode(), source.label)
                counts.unremoved += 1
        if uidplus and "UNSELECT" in capabilities:
            conn.unselect()  # leaves alone what others flagged as deleted
        else:
            conn.close()  # expunges the messages flagged as deleted
    finally:
        try:
            conn.logout()
        except Exception:
            log.debug("IMAP logout failed", exc_info=True)
    return counts
