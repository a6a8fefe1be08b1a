"""E-mail intake: real messages in a Maildir and on a real IMAP(S) server become reports.

The samples in ``mail/Maildir`` are hand-written RFC 5322 messages: plain UTF-8, HTML only,
windows-1250 and iso-8859-2, a PNG (and a refused ZIP) attachment, a forwarded message as an
attachment and inline, defanged addresses, an auto-reply, a bounce, an empty message, bytes that
are no message at all, and one in cur/ without a Message-ID.
"""

from __future__ import annotations

import hashlib
import imaplib
import io
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.utils import timezone

from sigurnet.core.models import OutgoingMessage
from sigurnet.core.tasks import sweep_outbox
from sigurnet.hotline import email_intake
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.email_intake import (
    create_maildir,
    held_raw_bytes,
    ingest_message,
    parse_imap_url,
)
from sigurnet.hotline.models import ContentItem, Evidence, HeldEmail, IngestedEmail, Report
from sigurnet.hotline.tasks import (
    apply_retention,
    email_acknowledgement_key,
    send_email_acknowledgement,
)
from tests.conftest import free_port, requires_postgresql

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "mail" / "Maildir"
FILED_SAMPLES = 9
HELD_SAMPLES = 4
NOTHING_DONE = "Reports filed: 0. Held for a person: 0. Skipped (already ingested): 0."


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def maildir(tmp_path) -> Path:
    target = tmp_path / "Maildir"
    shutil.copytree(SAMPLES, target)
    (target / "tmp").mkdir(exist_ok=True)
    return target


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("ingest_email", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def ingested(maildir, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        return run("--maildir", str(maildir))


def sample(name: str) -> bytes:
    found = list(SAMPLES.glob(f"*/*.{name}.eml"))
    assert len(found) == 1, name
    return found[0].read_bytes()


def report_for(message_id: str) -> Report:
    """The report filed from the sample with this Message-ID."""
    (raw,) = [
        path.read_bytes()
        for path in SAMPLES.glob("*/*.eml")
        if f"Message-ID: {message_id}".encode() in path.read_bytes()
    ]
    ingested = IngestedEmail.objects.get(message_id_index=email_intake.message_key(raw))
    assert ingested.report is not None
    return ingested.report


def canonical_urls(report: Report) -> list[str]:
    return [link.content_item.canonical for link in report.reported_urls.all()]


def submitted_urls(report: Report) -> list[str]:
    return [link.submitted for link in report.reported_urls.all()]


def test_every_sample_becomes_a_report_or_a_held_message(ingested):
    assert ingested.strip() == (
        f"Reports filed: {FILED_SAMPLES}. Held for a person: {HELD_SAMPLES}. "
        "Skipped (already ingested): 0."
    )
    assert Report.objects.count() == FILED_SAMPLES
    assert HeldEmail.objects.count() == HELD_SAMPLES
    assert IngestedEmail.objects.count() == FILED_SAMPLES + HELD_SAMPLES
    for report in Report.objects.all():
        assert report.channel == "email"
        assert report.category == "other"
        assert report.language == "en"
        assert report.reference.startswith("SIG-")
        assert report.contact_consent and "@" in report.contact_email
        assert "\x00" not in report.description and len(report.description) <= 5000


def test_plain_text_message_with_two_urls(ingested):
    report = report_for("<plain-two-urls.1@mail.example.org>")
    assert report.contact_email == "marko.petrovic@example.org"
    # The third address is the first one again (without the tracking parameter): one item.
    assert canonical_urls(report) == [
        "https://social.example.com/profile/lazni.profil",
        "https://video.example.net/c/kanal-123",
    ]
    assert submitted_urls(report)[0].endswith("?utm_source=share")
    assert report.description.startswith("Lažni profil koji uznemirava decu\n\nPoštovani,")
    assert "Hvala,\nMarko" in report.description


def test_html_only_message_is_read_as_text_with_its_links(ingested):
    report = report_for("<html-only.2@example.com>")
    assert canonical_urls(report) == [
        "https://bank-login.example.org/signin?session=42",  # utm_source and fbclid dropped
        "http://secure-bank.example.net/verify",
    ]
    text = report.description
    assert text.startswith("Phishing page pretending to be a bank\n\nHello,")
    assert "Thank you & regards,\nAna" in text
    assert "click here <http://secure-bank.example.net/verify>" in text
    for absent in ("<p>", "never shown", "ignored title", "color: red"):
        assert absent not in text


def test_windows_1250_and_iso_8859_2_text_is_decoded(ingested):
    serbian = report_for("<cp1250.3@example.rs>")
    assert serbian.description.startswith("Pretnje na društvenoj mreži\n\n")
    assert "Čuvajte se: ćao, šta, žaba, Đorđe." in serbian.description
    assert serbian.contact_email == "dragan.saric@example.rs"
    assert canonical_urls(serbian) == ["https://social.example.com/dj.pretnje"]

    bosnian = report_for("<iso-8859-2.4@example.ba>")
    assert bosnian.description.startswith("Uvredljive slike u grupi čćšžđ\n\n")
    assert "čačkalica, ćevapi, šuma, žuto, đak." in bosnian.description


def test_picture_attachment_becomes_evidence_and_a_refused_one_is_noted(ingested):
    report = report_for("<png-attachment.5@example.net>")
    (picture,) = report.evidence.all()
    assert picture.content_type == "image/png"
    assert picture.original_name == "screenshot.png"
    stored = evidence_files.read_decrypted(picture.storage_name)
    assert stored.startswith(b"\x89PNG\r\n\x1a\n") and picture.size == len(stored)
    assert "[attachment not kept: chat-export.zip: only pictures, PDF and text files]" in (
        report.description
    )
    assert Evidence.objects.count() == 1


def test_forwarded_messages_bring_their_text_and_urls(ingested):
    attached = report_for("<forwarded-rfc822.6@example.org>")
    assert canonical_urls(attached) == [
        "https://account-verify.fake-support.example/confirm?id=991"
    ]
    assert "---------- Forwarded message ----------" in attached.description
    assert "From: Support <support@fake-support.example>" in attached.description
    assert "Dear customer, confirm your password" in attached.description
    assert attached.contact_email == "nikola@example.org"  # the one who forwarded it

    inline = report_for("<inline-forward.7@example.ba>")
    assert canonical_urls(inline) == ["https://lucky-prize.example/claim/7781"]
    assert "Čestitamo! Osvojili ste telefon." in inline.description


def test_defanged_addresses_are_recognised(ingested):
    report = report_for("<defanged.8@cert.example.rs>")
    assert canonical_urls(report) == [
        "https://evil-login.example.com/owa/auth.php",
        "http://phish-drop.example.net/kit/index.html",
    ]
    # As the reporter wrote them; "report[.]pdf", "1[.]2", ftp and mailto are no web addresses.
    assert submitted_urls(report) == [
        "hxxps://evil-login[.]example[.]com/owa/auth.php",
        "phish-drop[.]example[.]net/kit/index.html",
    ]


def test_message_without_message_id_in_cur_is_filed_once(ingested):
    key = email_intake.message_key(sample("no-message-id"))
    report = IngestedEmail.objects.get(message_id_index=key).report
    assert report is not None
    assert canonical_urls(report) == ["https://videos.example.com/watch?v=abc123"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto-reply", "automatic message (Auto-Submitted: auto-replied)"),
        ("bounce", "bounce (empty Return-Path)"),
        ("empty", "empty: no text, web address or attachment"),
        ("junk", "not an e-mail message (no header fields)"),
    ],
)
def test_junk_and_automatic_messages_are_held_with_the_raw_message(ingested, name, reason):
    raw = sample(name)
    held = HeldEmail.objects.get(reason=reason)
    assert held_raw_bytes(held) == raw  # kept byte for byte (base64, encrypted at rest)
    assert held.message_id_index == email_intake.message_key(raw)
    assert held.source.startswith("maildir:") and name in held.source
    assert IngestedEmail.objects.get(message_id_index=held.message_id_index).report is None


def test_handled_messages_leave_the_maildir_and_a_redelivery_is_skipped(ingested, maildir):
    assert list((maildir / "new").iterdir()) == []
    assert list((maildir / "cur").iterdir()) == []  # filed and held ones alike

    # The same messages delivered again (byte for byte) are recognised.
    for name in ("plain-two-urls", "junk", "no-message-id"):
        (maildir / "new" / f"again.{name}").write_bytes(sample(name))
    output = run("--maildir", str(maildir))
    assert output.strip() == NOTHING_DONE.replace("ingested): 0", "ingested): 3")
    assert Report.objects.count() == FILED_SAMPLES
    assert HeldEmail.objects.count() == HELD_SAMPLES
    assert list((maildir / "new").iterdir()) == []


def test_a_different_message_with_a_reused_message_id_is_filed(maildir, tmp_path):
    # One campaign, one Message-ID, two victims forwarding it: two reports.
    original = sample("plain-two-urls")
    other = original.replace(b"lazni.profil", b"drugi.profil").replace(
        b"marko.petrovic@example.org", b"jelena.jovic@example.org"
    )
    assert other != original
    empty = tmp_path / "Campaign"
    for folder in ("cur", "new", "tmp"):
        (empty / folder).mkdir(parents=True)
    (empty / "new" / "1.first").write_bytes(original)
    (empty / "new" / "2.second").write_bytes(other)
    (empty / "new" / "3.first-again").write_bytes(original.replace(b"\n", b"\r\n"))
    output = run("--maildir", str(empty))
    assert output.strip() == (
        "Reports filed: 2. Held for a person: 0. Skipped (already ingested): 1."
    )
    assert sorted(r.contact_email for r in Report.objects.all()) == [
        "jelena.jovic@example.org",
        "marko.petrovic@example.org",
    ]
    assert IngestedEmail.objects.count() == 2


def test_acknowledgement_goes_to_each_sender_with_the_reference_only(ingested):
    assert len(mail.outbox) == FILED_SAMPLES
    by_recipient = {message.to[0]: message for message in mail.outbox}
    for report in Report.objects.all():
        message = by_recipient[report.contact_email]
        assert report.reference in message.subject and report.reference in message.body
        assert message.extra_headers["Auto-Submitted"] == "auto-replied"
        # Nothing of what they wrote comes back.
        for link in submitted_urls(report):
            assert link not in message.body
        assert report.description[:40] not in message.body
    for silent in ("petar.ilic@example.com", "MAILER-DAEMON@mx.example.net", "nobody@example.org"):
        assert silent not in by_recipient


def test_the_acknowledgement_is_written_with_the_report_and_sent_by_the_sweep(
    maildir, settings, django_capture_on_commit_callbacks
):
    # The commit's callbacks are dropped: as if the broker was down when the report was filed.
    with django_capture_on_commit_callbacks(execute=False):
        run("--maildir", str(maildir))
    assert mail.outbox == []
    waiting = OutgoingMessage.objects.filter(
        kind="hotline.email_acknowledgement", sent_at__isnull=True
    )
    assert waiting.count() == Report.objects.count() == FILED_SAMPLES
    settings.SIGURNET_OUTBOX_SWEEP_SECONDS = 0
    assert sweep_outbox() == FILED_SAMPLES
    assert len(mail.outbox) == FILED_SAMPLES and not waiting.exists()
    assert {m.to[0] for m in mail.outbox} == {r.contact_email for r in Report.objects.all()}


def test_a_redelivered_acknowledgement_task_sends_nothing_twice(ingested):
    report = report_for("<plain-two-urls.1@mail.example.org>")
    mail.outbox.clear()
    assert send_email_acknowledgement(report.pk) is False  # sent during the ingest already
    assert mail.outbox == []


def test_acknowledgement_is_sent_in_the_report_language(
    ingested, django_capture_on_commit_callbacks
):
    report = report_for("<cp1250.3@example.rs>")
    Report.objects.filter(pk=report.pk).update(language="sr-latn")
    # As if it had never been sent: the outbox row is gone.
    OutgoingMessage.objects.filter(key=email_acknowledgement_key(report.pk)).delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_email_acknowledgement(report.pk) is True
    (message,) = mail.outbox
    assert message.to == ["dragan.saric@example.rs"] and report.reference in message.body


def test_a_failure_to_file_holds_that_message_and_the_others_go_on(
    maildir, monkeypatch, django_capture_on_commit_callbacks
):
    real_file_report = email_intake.file_report

    def failing(submission, **kwargs):
        if submission.description.startswith("Screenshot of threats"):
            raise RuntimeError("database said no")
        return real_file_report(submission, **kwargs)

    monkeypatch.setattr(email_intake, "file_report", failing)
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--maildir", str(maildir))
    assert f"Reports filed: {FILED_SAMPLES - 1}. Held for a person: {HELD_SAMPLES + 1}." in output
    held = HeldEmail.objects.get(reason="could not be filed (RuntimeError)")
    assert held_raw_bytes(held) == sample("png-attachment")
    # The picture stored before the failure is gone again, row and file.
    assert Evidence.objects.count() == 0
    assert list((Path(evidence_files.evidence_root())).iterdir()) == []
    assert len(mail.outbox) == FILED_SAMPLES - 1


def test_limit_leaves_the_rest_for_the_next_run(maildir):
    output = run("--maildir", str(maildir), "--limit", "2")
    assert "Reports filed: 2. Held for a person: 0." in output
    assert len(list((maildir / "new").iterdir())) == FILED_SAMPLES + HELD_SAMPLES - 3
    output = run("--maildir", str(maildir))
    assert f"Reports filed: {FILED_SAMPLES - 2}. Held for a person: {HELD_SAMPLES}." in output


def test_maildir_from_settings(settings, maildir):
    settings.SIGURNET_INTAKE_MAILDIR = str(maildir)
    assert f"Reports filed: {FILED_SAMPLES}." in run()


def test_no_mailbox_or_a_wrong_one_is_a_clear_error(settings, tmp_path):
    settings.SIGURNET_INTAKE_MAILDIR = ""
    settings.SIGURNET_INTAKE_IMAP_URL = ""
    with pytest.raises(CommandError, match="SIGURNET_INTAKE_MAILDIR"):
        run()
    with pytest.raises(CommandError, match="not a Maildir"):
        run("--maildir", str(tmp_path))


def test_nul_and_unknown_charset():
    raw = (
        "From: Reporter <reporter@example.org>\r\n"
        "Subject: Bad bytes\r\n"
        "Message-ID: <bad-bytes@example.org>\r\n"
        "Content-Type: text/plain; charset=x-made-up\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Bad=00bytes =FF here: https://site.example.com/p\r\n"
    ).encode("ascii")
    result = ingest_message(raw, source="test")
    assert result.outcome == "filed"
    report = Report.objects.get(pk=result.report_id)
    assert "\x00" not in report.description
    assert "Badbytes \ufffd here" in report.description
    assert ingest_message(raw, source="test").outcome == "skipped"


def _message_with_urls(count: int) -> bytes:
    links = "\r\n".join(f"https://site{n}.example.com/p/{n}" for n in range(count))
    return (
        "From: Reporter <reporter@example.org>\r\n"
        "Subject: Many links\r\n"
        f"Message-ID: <many-{count}@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"All of these:\r\n{links}\r\n"
    ).encode("ascii")


def test_a_thousand_urls_in_one_email_become_a_thousand_content_items(
    maildir, django_capture_on_commit_callbacks
):
    for name in maildir.glob("*/*.eml"):
        name.unlink()
    (maildir / "new" / "1.many").write_bytes(_message_with_urls(1000))
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--maildir", str(maildir))
    elapsed = time.monotonic() - started
    assert "Reports filed: 1." in output
    (report,) = Report.objects.all()
    assert report.reported_urls.count() == 1000
    assert ContentItem.objects.count() == 1000
    assert submitted_urls(report)[999] == "https://site999.example.com/p/999"
    assert "more web address" not in report.description
    assert len(mail.outbox) == 1 and report.reference in mail.outbox[0].body
    assert elapsed < 30, elapsed  # about 1-2 s here; a bound against a slow path per address


def test_more_urls_than_the_email_limit_hold_the_message_for_a_person(monkeypatch):
    monkeypatch.setattr(email_intake, "MAX_URLS", 30)
    raw = _message_with_urls(31)
    assert ingest_message(raw, source="test").outcome == "held"
    held = HeldEmail.objects.get()
    assert held.reason == "more than 30 web addresses: for a person"
    assert held_raw_bytes(held) == raw and Report.objects.count() == 0


def test_imap_url_is_parsed_and_the_password_never_shown():
    source = parse_imap_url("imaps://hotline%40example.org:s%3Acret@mail.example.org/Reports")
    assert (source.host, source.port, source.user, source.password, source.mailbox) == (
        "mail.example.org",
        993,
        "hotline@example.org",
        "s:cret",
        "Reports",
    )
    assert source.security == "ssl" and "s:cret" not in repr(source)
    plain = parse_imap_url("imap://u:p@localhost")
    assert (plain.port, plain.mailbox, plain.security) == (143, "INBOX", "none")
    assert parse_imap_url("imap://u:p@host:1143/INBOX?starttls=yes").security == "starttls"
    with pytest.raises(email_intake.IntakeError, match="imaps://") as error:
        parse_imap_url("pop3://u:secretpw@host")
    assert "secretpw" not in str(error.value)


# --- A real IMAP server ------------------------------------------------------------------


@dataclass(frozen=True)
class Dovecot:
    imaps_port: int
    imap_port: int
    cafile: str
    user: str = "intake"
    password: str = "intake-test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dovecot_binary() -> str | None:
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    found = shutil.which("dovecot", path=path)
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    try:  # TOOLCHAIN.md: about 10 s; the package starts no daemon
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "dovecot-imapd"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return shutil.which("dovecot", path=path)


def _unavailable(reason: str) -> None:
    if os.environ.get("SIGURNET_REQUIRE_MAILSERVER") == "1":
        pytest.fail(f"SIGURNET_REQUIRE_MAILSERVER=1 but {reason}")
    pytest.skip(f"{reason} (install it with: apt-get install -y dovecot-imapd)")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot per test session, with its own configuration in a temporary folder."""
    binary = _dovecot_binary()
    if binary is None:
        _unavailable("dovecot is not installed and could not be installed")
    if os.geteuid() != 0:
        _unavailable("dovecot for the tests is started as root (it switches to uid 65534)")
    folder = Path(tempfile.mkdtemp(prefix="sigurnet-dovecot-"))
    folder.chmod(0o755)  # the mail processes run as uid 65534 and must reach mail/
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    request += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
    request += ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(
        request,
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = Dovecot(imaps_port=_free_port(), imap_port=_free_port(), cafile=str(cert))
    mail_dir = folder / "mail"
    (mail_dir / server.user).mkdir(parents=True)
    for path in (mail_dir, mail_dir / server.user):
        os.chown(path, 65534, 65534)
    (folder / "passwd").write_text(
        f"{server.user}:{{PLAIN}}{server.password}:65534:65534::{mail_dir / server.user}::\n"
    )
    config = folder / "dovecot.conf"
    config.write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
info_log_path = {folder}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
service imap-login {{
  inet_listener imap {{
    port = {server.imap_port}
  }}
  inet_listener imaps {{
    port = {server.imaps_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {folder}/passwd
}}
mail_location = maildir:{mail_dir}/%u
"""
    )
    with open(folder / "stdout.log", "wb") as output:  # a file, not a pipe (TOOLCHAIN.md)
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", server.imaps_port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "stdout.log").read_text(errors="replace")[-2000:]
                    _unavailable(f"dovecot did not start: {log}")
                time.sleep(0.02)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def _imap(server: Dovecot) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context(cafile=server.cafile)
    conn = imaplib.IMAP4_SSL("127.0.0.1", server.imaps_port, ssl_context=context, timeout=10)
    conn.login(server.user, server.password)
    return conn


def _flags(server: Dovecot, mailbox: str) -> list[bytes]:
    conn = _imap(server)
    try:
        _status, count = conn.select(mailbox, readonly=True)
        if count[0] == b"0":
            return []
        _status, data = conn.fetch("1:*", "(FLAGS)")
        return [item for item in data if isinstance(item, bytes)]
    finally:
        conn.logout()


@pytest.mark.parametrize("scheme", ["imaps", "imap+starttls"])
def test_imap_mailbox_on_a_real_server(
    dovecot, scheme, settings, django_capture_on_commit_callbacks
):
    mailbox = f"Intake-{scheme.replace('+', '-')}"
    conn = _imap(dovecot)
    try:
        assert conn.create(mailbox)[0] == "OK"
        for name in ("plain-two-urls", "auto-reply", "junk"):
            raw = sample(name).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            assert conn.append(mailbox, "", imaplib.Time2Internaldate(time.time()), raw)[0] == "OK"
        # Read by a person already: not UNSEEN, so not taken.
        seen = sample("inline-forward").replace(b"\n", b"\r\n")
        assert conn.append(mailbox, "(\\Seen)", imaplib.Time2Internaldate(time.time()), seen)[0]
    finally:
        conn.logout()

    settings.SIGURNET_INTAKE_IMAP_CAFILE = dovecot.cafile
    if scheme == "imaps":
        url = f"imaps://{dovecot.user}:{dovecot.password}@localhost:{dovecot.imaps_port}/{mailbox}"
    else:
        url = (
            f"imap://{dovecot.user}:{dovecot.password}@localhost:{dovecot.imap_port}/{mailbox}"
            "?starttls=yes"
        )
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--imap", url)
    assert "Reports filed: 1. Held for a person: 2. Skipped (already ingested): 0." in output
    report = report_for("<plain-two-urls.1@mail.example.org>")
    assert canonical_urls(report)[1] == "https://video.example.net/c/kanal-123"
    assert HeldEmail.objects.get(reason__startswith="not an e-mail").source.endswith("UID 3")
    assert [m.to for m in mail.outbox] == [["marko.petrovic@example.org"]]
    # Handled messages are expunged; the one a person had read stays.
    (left,) = _flags(dovecot, mailbox)
    assert b"\\Seen" in left and b"\\Deleted" not in left

    # Retention deletes the report and its record: the next run files and sends nothing.
    _expire_everything(settings)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--imap", url)
    assert "Reports filed: 0. Held for a person: 0. Skipped (already ingested): 0." in output
    assert Report.objects.count() == 0 and mail.outbox == []


def test_imap_without_uidplus_flags_handled_messages_deleted_and_close_expunges(
    dovecot, settings, monkeypatch
):
    mailbox = "Intake-no-uidplus"
    conn = _imap(dovecot)
    try:
        assert conn.create(mailbox)[0] == "OK"
        raw = sample("plain-two-urls").replace(b"\n", b"\r\n")
        assert conn.append(mailbox, "", imaplib.Time2Internaldate(time.time()), raw)[0] == "OK"
    finally:
        conn.logout()
    real = email_intake._capabilities
    monkeypatch.setattr(email_intake, "_capabilities", lambda c: real(c) - {"UIDPLUS"})
    settings.SIGURNET_INTAKE_IMAP_CAFILE = dovecot.cafile
    url = f"imaps://{dovecot.user}:{dovecot.password}@localhost:{dovecot.imaps_port}/{mailbox}"
    assert "Reports filed: 1." in run("--imap", url)
    assert _flags(dovecot, mailbox) == []


def test_the_database_down_leaves_imap_messages_unseen(dovecot, settings, database_down_at_filing):
    mailbox = "Intake-database-down"
    conn = _imap(dovecot)
    try:
        assert conn.create(mailbox)[0] == "OK"
        raw = sample("plain-two-urls").replace(b"\n", b"\r\n")
        assert conn.append(mailbox, "", imaplib.Time2Internaldate(time.time()), raw)[0] == "OK"
    finally:
        conn.logout()
    settings.SIGURNET_INTAKE_IMAP_CAFILE = dovecot.cafile
    url = f"imaps://{dovecot.user}:{dovecot.password}@localhost:{dovecot.imaps_port}/{mailbox}"
    with pytest.raises(CommandError, match="stay unread"):
        run("--imap", url)
    (flags,) = _flags(dovecot, mailbox)
    assert b"\\Seen" not in flags and b"\\Deleted" not in flags


def test_imap_with_an_untrusted_certificate_is_refused(dovecot, settings):
    settings.SIGURNET_INTAKE_IMAP_CAFILE = ""  # the system's CAs do not know the test cert
    url = f"imaps://{dovecot.user}:{dovecot.password}@localhost:{dovecot.imaps_port}/INBOX"
    with pytest.raises(CommandError, match="Cannot connect") as error:
        run("--imap", url)
    assert dovecot.password not in str(error.value)


# --- After retention, nothing again ------------------------------------------------------


def _expire_everything(settings) -> None:
    long_ago = timezone.now() - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS + 1)
    Report.objects.update(status="closed", updated_at=long_ago)
    IngestedEmail.objects.update(ingested_at=long_ago)
    HeldEmail.objects.update(received_at=long_ago)
    apply_retention()
    assert not Report.objects.exists() and not IngestedEmail.objects.exists()
    assert not HeldEmail.objects.exists()


def test_after_retention_the_next_run_files_nothing_and_sends_nothing(
    ingested, maildir, settings, django_capture_on_commit_callbacks
):
    assert len(mail.outbox) == FILED_SAMPLES
    _expire_everything(settings)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--maildir", str(maildir))
    assert output.strip() == NOTHING_DONE
    assert Report.objects.count() == 0 and HeldEmail.objects.count() == 0
    assert mail.outbox == []


def test_a_crash_between_commit_and_removal_files_nothing_twice(
    maildir, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(email_intake, "_remove_from_maildir", lambda path: False)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError, match="could not be removed"),
    ):
        run("--maildir", str(maildir))
    monkeypatch.undo()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--maildir", str(maildir))
    assert output.strip() == (
        "Reports filed: 0. Held for a person: 0. "
        f"Skipped (already ingested): {FILED_SAMPLES + HELD_SAMPLES}."
    )
    assert Report.objects.count() == FILED_SAMPLES and mail.outbox == []
    assert list((maildir / "new").iterdir()) == list((maildir / "cur").iterdir()) == []


def test_messages_an_older_version_handled_are_not_filed_again_after_the_upgrade(maildir):
    # Before the content key: handled messages stayed in cur/ with the S flag, and the record
    # was keyed on the Message-ID alone.
    for path in list((maildir / "new").iterdir()):
        path.rename(maildir / "cur" / f"{path.name}:2,S")
    first = sample("plain-two-urls")
    IngestedEmail.objects.create(message_id_index=email_intake.legacy_message_key(first))
    # A second message under the same Message-ID, skipped by the older version: filed now.
    other = first.replace(b"lazni.profil", b"drugi.profil")
    second = maildir / "cur" / "1800000000.reused-id:2,S"
    second.write_bytes(other)
    os.utime(second, (time.time() + 3600, time.time() + 3600))  # delivered after the record
    output = run("--maildir", str(maildir))
    assert f"Reports filed: {FILED_SAMPLES}. Held for a person: {HELD_SAMPLES}." in output
    assert "Skipped (already ingested): 1." in output
    descriptions = [report.description for report in Report.objects.all()]
    assert not any("lazni.profil" in text for text in descriptions)
    assert any("drugi.profil" in text for text in descriptions)


# --- What the text says -------------------------------------------------------------------


def _mime(body: str, content_type: str = 'multipart/alternative; boundary="b1"') -> bytes:
    return (
        "From: Reporter <reporter@example.org>\r\n"
        "Subject: Links\r\n"
        f"Message-ID: <{hashlib.sha256(body.encode()).hexdigest()[:16]}@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
        "\r\n" + body
    ).encode("utf-8")


def _filed(raw: bytes) -> Report:
    result = ingest_message(raw, source="test")
    assert result.outcome == "filed", result
    return Report.objects.get(pk=result.report_id)


HTML_PART = (
    "<p>Plain text is shorter. See https://only-in-html.example.com/text and "
    '<a href="https://real-target.example.net/phish">https://shown.example.org/bank</a>.</p>'
)


def test_links_only_in_the_html_alternative_are_kept():
    raw = _mime(
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Plain text is shorter.\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"{HTML_PART}\r\n--b1--\r\n"
    )
    report = _filed(raw)
    assert canonical_urls(report) == [
        "https://only-in-html.example.com/text",
        "https://shown.example.org/bank",
        "https://real-target.example.net/phish",
    ]
    assert report.description == "Links\n\nPlain text is shorter."  # the plain text


def test_links_in_html_inside_multipart_related_as_outlook_sends_it():
    raw = _mime(
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Plain text is shorter.\r\n"
        '--b1\r\nContent-Type: multipart/related; boundary="b2"\r\n\r\n'
        "--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f'{HTML_PART}<img src="cid:logo">\r\n'
        "--b2\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        "iVBORw0KGgo=\r\n--b2--\r\n--b1--\r\n"
    )
    report = _filed(raw)
    assert set(canonical_urls(report)) == {
        "https://only-in-html.example.com/text",
        "https://shown.example.org/bank",
        "https://real-target.example.net/phish",
    }


def test_a_multipart_message_without_a_boundary_is_read_as_text():
    raw = _mime(
        "Content-Type: text/plain\r\n\r\nLook at https://no-boundary.example.com/page now.\r\n",
        content_type="multipart/mixed",
    )
    report = _filed(raw)
    assert canonical_urls(report) == ["https://no-boundary.example.com/page"]
    assert "no-boundary.example.com/page now" in report.description


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u00a0", "\u2060", "\ufeff", "\u200c", "\u200d", "\u202f", "\u200e", "\u202e",
     "\u2066", "\u2069"],
)  # fmt: skip
def test_invisible_characters_end_a_web_address(invisible):
    body = (
        f"Here: https://evil.example.com/path{invisible}and more, "
        f"www.bad.example.com{invisible}x and evil[.]example[.]org/p{invisible}y\r\n"
    )
    raw = (
        "From: Reporter <reporter@example.org>\r\nSubject: Hidden\r\n"
        f"Message-ID: <invisible-{ord(invisible)}@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode("utf-8")
    report = _filed(raw)
    assert submitted_urls(report) == [
        "https://evil.example.com/path",
        "www.bad.example.com",
        "evil[.]example[.]org/p",
    ]


# --- When things go wrong ------------------------------------------------------------------


def test_a_folder_that_is_no_maildir_is_an_error_before_any_count(tmp_path):
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"is not a Maildir.*--create-maildir"):
        call_command("ingest_email", "--maildir", str(tmp_path / "Maildir"), stdout=out)
    assert out.getvalue() == ""


def test_create_maildir_makes_a_private_maildir_and_reads_it(tmp_path):
    target = tmp_path / "var" / "Maildir"
    output = run("--maildir", str(target), "--create-maildir")
    assert output.strip() == NOTHING_DONE
    for folder in (target, target / "cur", target / "new", target / "tmp"):
        assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
    (target / "new" / "1.mail").write_bytes(sample("plain-two-urls"))
    assert "Reports filed: 1." in run("--maildir", str(target), "--create-maildir")


@pytest.fixture
def database_down_at_filing():
    """The database stops answering when the first report is written, and stays down."""
    down = {"now": False}

    def refuse(execute, sql, params, many, context):
        if "hotline_report" in sql and sql.lstrip().upper().startswith("INSERT"):
            down["now"] = True
        if down["now"]:
            raise OperationalError("could not connect to server: Connection refused")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield down


def test_the_database_down_during_ingest_leaves_the_messages_unread(
    maildir, database_down_at_filing, django_capture_on_commit_callbacks
):
    before = sorted(p.name for p in (maildir / "new").iterdir())
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError, match="could not be handled; they stay unread"),
    ):
        run("--maildir", str(maildir))
    assert database_down_at_filing["now"]
    assert sorted(p.name for p in (maildir / "new").iterdir()) == before
    assert (maildir / "cur" / "1699999999.no-message-id.eml").exists()
    assert mail.outbox == []


def test_the_database_lost_only_while_filing_holds_nothing_and_leaves_the_message(maildir):
    failures = {"left": 1}

    def once(execute, sql, params, many, context):
        inserting = "hotline_report" in sql and sql.lstrip().upper().startswith("INSERT")
        if inserting and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(once), pytest.raises(CommandError, match="stay unread"):
        run("--maildir", str(maildir))
    assert HeldEmail.objects.filter(reason__startswith="could not be filed").count() == 0
    (left,) = (maildir / "new").iterdir()  # the first message, for the next run
    assert left.name == "1700000001.plain-two-urls.eml"
    assert "Reports filed: 1." in run("--maildir", str(maildir))
    assert Report.objects.count() == FILED_SAMPLES


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_unreachable_during_ingest_leaves_the_messages_unread(maildir):
    # The real thing: the server stops listening (here: the connection points at a closed
    # port) while the command runs.
    real = dict(connection.settings_dict)
    options = dict(real.get("OPTIONS", {}))
    if "pool" in options:
        options["pool"] = {**options["pool"], "timeout": 0.2, "min_size": 0}
    connection.close()
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()
    connection.settings_dict.update(PORT=str(free_port()), OPTIONS=options)
    try:
        with pytest.raises(CommandError, match="stay unread"):
            run("--maildir", str(maildir))
    finally:
        connection.close()
        if getattr(connection, "pool", None) is not None:
            connection.close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(real)
    assert len(list((maildir / "new").iterdir())) == FILED_SAMPLES + HELD_SAMPLES - 1
    assert Report.objects.count() == 0 and HeldEmail.objects.count() == 0


def test_an_old_record_does_not_stand_for_a_message_delivered_after_it(tmp_path):
    box = create_maildir(tmp_path / "Box")
    raw = sample("plain-two-urls")
    IngestedEmail.objects.create(message_id_index=email_intake.legacy_message_key(raw))
    later = box / "cur" / "1800000000.reused-id:2,S"  # read in a mail program, say
    later.write_bytes(raw.replace(b"lazni.profil", b"drugi.profil"))
    an_hour_on = time.time() + 3600
    os.utime(later, (an_hour_on, an_hour_on))
    assert "Reports filed: 1." in run("--maildir", str(box))
