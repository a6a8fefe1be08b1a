"""Limits on the public side: who counts as one client, the global limit, the windows, the cache
being down, evidence uploads, the memory of decoding pictures, and what contact details may hold."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from sigurnet.core import ratelimit
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.models import Evidence, Report

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"
A_REPORT = {
    "category": "phishing_fraud",
    "urls": ["https://bank-login.example.com/verify"],
    "description": "A message says my account is blocked and asks for my PIN.",
}
START = 1_800_000_000 + 5  # 5 s into a clock minute


class Clock:
    """The limits' clock, moved by the test."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture(autouse=True)
def _quick_form(settings: Any, tmp_path: Any) -> None:
    settings.SIGURNET_FORM_MIN_SECONDS = 0
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"


def api_report(address: str, client: Client | None = None) -> Any:
    return (client or Client()).post(
        REPORTS, json.dumps(A_REPORT), content_type="application/json", REMOTE_ADDR=address
    )


def web_report(client: Client) -> Any:
    """Fill in every step and press Send; the answer to Send."""
    for path, data in [
        ("", {"category": "cyberbullying"}),
        ("where/", {"urls": "https://example.com/post/1"}),
        ("details/", {"description": "They post mean things about my friend."}),
        ("you/", {}),
    ]:
        assert client.post(f"/en/report/{path}", data).status_code == 302, path
    return client.post("/en/report/check/")


# --- Who is one client ------------------------------------------------------------------------


def test_many_addresses_of_one_ipv6_64_are_one_client(settings, clock):
    assert settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE == 30
    codes = [api_report(f"2001:db8:7:9::{n:x}").status_code for n in range(1, 46)]
    assert codes[:30] == [201] * 30
    assert codes[30:] == [429] * 15
    assert Report.objects.count() == 30
    # Another /64, even next door, has its own count.
    assert api_report("2001:db8:7:a::1").status_code == 201
    assert api_report("2001:db8:7:a:ffff:ffff:ffff:ffff").status_code == 201


def test_an_ipv4_mapped_address_counts_as_the_ipv4_address(settings, clock):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    assert api_report("192.0.2.10").status_code == 201
    assert api_report("::ffff:192.0.2.10").status_code == 201
    assert api_report("::ffff:c000:20a").status_code == 429
    # Neighbouring IPv4 addresses are different clients.
    assert api_report("192.0.2.11").status_code == 201


def test_the_web_form_counts_an_ipv6_64_as_one_client(settings, clock):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:5::1")).status_code == 302
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:5::2")).status_code == 302
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:5:1:2:3:4")).status_code == 429
    assert web_report(Client(REMOTE_ADDR="2001:db8:5:6::1")).status_code == 302


# --- The global limit, the window, the cache ----------------------------------------------------


def test_the_global_limit_refuses_reports_beyond_it_from_any_client(settings, clock):
    settings.SIGURNET_REPORTS_PER_MINUTE = 3
    assert [api_report(f"198.51.100.{n}").status_code for n in range(1, 4)] == [201] * 3
    refused = api_report("198.51.100.99")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    refused_web = web_report(Client(REMOTE_ADDR="198.51.100.100"))
    assert refused_web.status_code == 429
    assert Report.objects.count() == 3


def test_the_global_limit_counts_web_and_api_reports_together(settings, clock):
    settings.SIGURNET_REPORTS_PER_MINUTE = 2
    assert web_report(Client(REMOTE_ADDR="198.51.100.1")).status_code == 302
    assert api_report("198.51.100.2").status_code == 201
    assert web_report(Client(REMOTE_ADDR="198.51.100.3")).status_code == 429
    assert api_report("198.51.100.4").status_code == 429


def test_the_per_client_window_expires(settings, clock):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    assert api_report("203.0.113.5").status_code == 201
    assert api_report("203.0.113.5").status_code == 201
    refused = api_report("203.0.113.5")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "55"  # 5 s into the minute
    clock.now += 54
    assert api_report("203.0.113.5").status_code == 429
    clock.now += 1  # the next minute
    assert api_report("203.0.113.5").status_code == 201
    assert Report.objects.count() == 3


def test_the_global_window_expires(settings, clock):
    settings.SIGURNET_REPORTS_PER_MINUTE = 1
    assert api_report("203.0.113.6").status_code == 201
    assert api_report("203.0.113.7").status_code == 429
    clock.now += 60
    assert api_report("203.0.113.8").status_code == 201


@pytest.fixture
def cache_down(settings: Any) -> None:
    """The shared cache (Redis) does not answer: nothing listens on its port."""
    settings.CACHES = {
        "default": {
            "BACKEND": "sigurnet.core.cache.SharedPoolRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }


def test_reports_go_through_the_api_when_the_cache_is_down(settings, cache_down):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 1
    settings.SIGURNET_REPORTS_PER_MINUTE = 1
    # Without counters nothing can be refused: every report is filed.
    assert [api_report("192.0.2.50").status_code for _ in range(3)] == [201] * 3
    assert Report.objects.count() == 3


def test_reports_go_through_the_web_form_when_the_cache_is_down(settings, cache_down):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 1
    settings.SIGURNET_REPORTS_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="192.0.2.51")
    for _attempt in range(2):
        response = web_report(client)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == "/en/report/done/"
    assert Report.objects.count() == 2


# --- Evidence uploads -------------------------------------------------------------------------


def start_draft(client: Client, language: str = "en") -> None:
    assert client.post(f"/{language}/report/", {"category": "other"}).status_code == 302
    assert (
        client.post(f"/{language}/report/where/", {"urls": "https://example.org/y"}).status_code
        == 302
    )


def upload(client: Client, content: bytes, name: str = "note.txt", language: str = "en") -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        f"/{language}/report/details/", {"description": "see the file", "evidence": file}
    )


def stored_files() -> int:
    return len(list(evidence_files.evidence_root().iterdir()))


def test_one_report_in_progress_takes_at_most_five_files_even_replaced_or_removed(settings, clock):
    assert settings.SIGURNET_UPLOADS_PER_DRAFT == 5
    client = Client(REMOTE_ADDR="192.0.2.70")
    start_draft(client)
    for number in range(4):
        assert upload(client, f"file {number}".encode()).status_code == 302
    # Removing the file does not give the draft its place back.
    client.post("/en/report/details/", {"remove_evidence": "1"})
    assert upload(client, b"file 4").status_code == 302
    refused = upload(client, b"file 5")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "You cannot add more files to this report. Send it as it is." in page
    assert "see the file" in page  # what was typed is kept
    assert Evidence.objects.count() == 5 == stored_files()
    # The last file that was taken is still the draft's, and the report can be sent with it.
    assert client.post("/en/report/details/", {"description": "see the file"}).status_code == 302
    assert client.post("/en/report/you/", {}).status_code == 302
    assert client.post("/en/report/check/")["Location"] == "/en/report/done/"
    assert Evidence.objects.get(report=Report.objects.get()).size == len(b"file 4")


def test_the_files_of_one_report_in_progress_have_a_total_size(settings, clock):
    settings.SIGURNET_UPLOAD_BYTES_PER_DRAFT = 100
    client = Client(REMOTE_ADDR="192.0.2.71")
    start_draft(client)
    assert upload(client, b"a" * 60).status_code == 302
    refused = upload(client, b"b" * 41)  # replaces the first: both count
    assert refused.status_code == 400
    assert "The files of this report are too big together." in refused.content.decode()
    assert upload(client, b"c" * 40).status_code == 302
    assert Evidence.objects.count() == 2 == stored_files()


def test_one_client_sends_at_most_ten_files_an_hour_whatever_the_drafts(settings, clock):
    assert settings.SIGURNET_UPLOADS_PER_CLIENT_PER_HOUR == 10
    for number in range(10):
        client = Client(REMOTE_ADDR=f"2001:db8:77:1::{number + 1:x}")  # one /64
        start_draft(client)
        assert upload(client, f"file {number}".encode()).status_code == 302
    client = Client(REMOTE_ADDR="2001:db8:77:1::ff")
    start_draft(client)
    refused = upload(client, b"one more")
    assert refused.status_code == 400
    assert "You have sent many files in a short time." in refused.content.decode()
    assert Evidence.objects.count() == 10 == stored_files()
    # Another client is not affected, and the next hour this one may send again.
    other = Client(REMOTE_ADDR="2001:db8:77:2::1")
    start_draft(other)
    assert upload(other, b"another client").status_code == 302
    clock.now += 3600
    assert upload(client, b"one more").status_code == 302


def test_upload_limits_are_told_in_the_reporters_language(settings, clock):
    settings.SIGURNET_UPLOADS_PER_DRAFT = 1
    client = Client(REMOTE_ADDR="192.0.2.72")
    start_draft(client, "sr-latn")
    assert upload(client, b"prvi", language="sr-latn").status_code == 302
    refused = upload(client, b"drugi", language="sr-latn")
    assert refused.status_code == 400
    assert "Ovoj prijavi ne možeš dodati još datoteka." in refused.content.decode()
    start_draft(client, "bs")
    assert "Ovoj prijavi ne možeš dodati još datoteka." in (
        upload(client, b"treci", language="bs").content.decode()
    )


# --- Decoding pictures: pixels, and how many at once -----------------------------------------


def png(size: tuple[int, int], mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG")
    return out.getvalue()


def test_a_picture_over_the_pixel_limit_is_refused_with_a_clear_message(settings, clock):
    assert settings.SIGURNET_IMAGE_MAX_PIXELS == 16_000_000
    client = Client(REMOTE_ADDR="192.0.2.73")
    start_draft(client)
    refused = upload(client, png((4001, 4000), "1"), name="screenshot.png")
    assert refused.status_code == 400
    assert "This picture is too large for us to open." in refused.content.decode()
    assert upload(client, png((4000, 4000), "1"), name="screenshot.png").status_code == 302
    assert Evidence.objects.get().content_type == "image/png"


def test_a_webp_picture_has_a_quarter_of_the_pixel_limit(settings):
    out = io.BytesIO()
    Image.new("RGB", (2001, 2000)).save(out, format="WEBP")
    with pytest.raises(evidence_files.EvidenceRejected) as refused:
        evidence_files.inspect(out.getvalue())
    assert refused.value.code == "pixels"
    out = io.BytesIO()
    Image.new("RGB", (2000, 2000)).save(out, format="WEBP")
    assert evidence_files.inspect(out.getvalue()).content_type == "image/webp"


def jpeg(size: tuple[int, int], **options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="JPEG", **options)
    return out.getvalue()


def test_a_large_baseline_jpeg_is_kept_at_half_size_and_a_progressive_one_refused():
    # A 48-million-pixel photo as a phone writes it: decoded while scaled, in a quarter of the
    # memory. A progressive JPEG would need its full coefficients whatever the scale.
    clean = evidence_files.inspect(jpeg((8000, 6000)))
    assert clean.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(clean.content)).size == (4000, 3000)
    for refused in (jpeg((8000, 6000), progressive=True), jpeg((8001, 8000))):
        with pytest.raises(evidence_files.EvidenceRejected) as rejection:
            evidence_files.inspect(refused)
        assert rejection.value.code == "pixels"
    # Within the limit, nothing is scaled.
    assert Image.open(io.BytesIO(evidence_files.inspect(jpeg((4000, 4000))).content)).size == (
        4000,
        4000,
    )


@pytest.fixture
def all_decode_slots_taken() -> Any:
    slots = evidence_files.decode_slots()
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    yield taken
    for _slot in range(taken):
        slots.release()


def test_when_every_decoder_is_busy_the_reporter_is_asked_to_try_again(
    settings, clock, all_decode_slots_taken
):
    assert all_decode_slots_taken == settings.SIGURNET_IMAGE_DECODES_AT_ONCE == 2
    settings.SIGURNET_IMAGE_DECODE_WAIT_SECONDS = 0
    client = Client(REMOTE_ADDR="192.0.2.74")
    start_draft(client)
    refused = upload(client, png((8, 8)), name="a.png")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Many pictures are being checked right now. Please try again in a minute." in page
    assert "see the file" in page
    assert not Evidence.objects.exists()
    # Text and PDF files need no decoder.
    assert upload(client, b"just text").status_code == 302


def test_at_most_two_pictures_are_decoded_at_once(settings, monkeypatch):
    assert settings.SIGURNET_IMAGE_DECODES_AT_ONCE == 2
    decoding = 0
    most = 0
    lock = threading.Lock()
    reencode = evidence_files._reencode

    def slow_reencode(data: bytes) -> Any:
        nonlocal decoding, most
        with lock:
            decoding += 1
            most = max(most, decoding)
        time.sleep(0.05)
        try:
            return reencode(data)
        finally:
            with lock:
                decoding -= 1

    monkeypatch.setattr(evidence_files, "_reencode", slow_reencode)
    picture = png((16, 16))
    results: list[str] = []

    def send() -> None:
        results.append(evidence_files.inspect(picture).content_type)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["image/png"] * 8  # the others waited their turn
    assert most == 2


MEASURE = """
import sys
import django
django.setup()
from sigurnet.hotline import evidence

def peak():
    # The process's own high-water mark of resident memory (VmHWM, in kB). Not ru_maxrss: on
    # Linux that carries over the parent's peak across fork and exec.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

data = open(sys.argv[1], "rb").read()
before = peak()
try:
    evidence.inspect(data)
    outcome = "stored"
except evidence.EvidenceRejected as exc:
    outcome = exc.code
print(outcome, (peak() - before) * 1024)
"""
MB = 1024 * 1024


def peak_memory_of_inspect(path: Path) -> tuple[str, int]:
    """What ``inspect`` made of the file, and how much the process's peak memory grew (Pillow
    allocates in C, where tracemalloc does not look: the kernel's high-water mark does)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux's /proc to read a process's peak memory")
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(repo)}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    outcome, grown = result.stdout.split()[-2:]
    return outcome, int(grown)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    made = {
        # The worst of each kind at the limit: four bytes a pixel, and CMYK needs a conversion.
        "png-16mpx-rgba": ("RGBA", (4000, 4000), "PNG"),
        "jpeg-16mpx-cmyk": ("CMYK", (4000, 4000), "JPEG"),
        "webp-4mpx-rgba": ("RGBA", (2000, 2000), "WEBP"),
        "jpeg-48mpx-baseline": ("RGB", (8000, 6000), "JPEG"),  # decoded at half size
        # The case of the issue: 39.7 Mpx, a few hundred kB, once 650 MB to decode.
        "png-39.7mpx": ("RGB", (6300, 6300), "PNG"),
    }
    paths = {}
    for name, (mode, size, fmt) in made.items():
        paths[name] = folder / name
        Image.new(mode, size).save(paths[name], format=fmt)
    return paths


@pytest.mark.parametrize(
    ("picture", "outcome", "bound"),
    [
        ("png-16mpx-rgba", "stored", 96 * MB),  # measured about 62 MB
        ("jpeg-16mpx-cmyk", "stored", 160 * MB),  # about 123 MB
        ("webp-4mpx-rgba", "stored", 160 * MB),  # about 103 MB
        ("jpeg-48mpx-baseline", "stored", 96 * MB),  # about 47 MB
        ("png-39.7mpx", "pixels", 16 * MB),  # refused from its header, never decoded
    ],
)
def test_the_memory_of_one_picture_is_bounded(pictures, picture, outcome, bound):
    result, grown = peak_memory_of_inspect(pictures[picture])
    assert result == outcome
    assert grown <= bound, f"{picture}: {grown / MB:.0f} MB"


# --- What contact details may hold ----------------------------------------------------------


def test_bidirectional_marks_in_the_contact_details_are_refused_on_the_form():
    client = Client()
    client.post("/en/report/", {"category": "other"})
    client.post("/en/report/where/", {"urls": "https://example.org/y"})
    client.post("/en/report/details/", {"description": "x"})
    for data in (
        {"contact_email": "me\u202e@example.org", "contact_consent": "on"},
        {"contact_email": "me@exam\u2067ple.org", "contact_consent": "on"},
        {"contact_phone": "064\u2066 123 4567", "contact_consent": "on"},
    ):
        response = client.post("/en/report/you/", data)
        assert response.status_code == 400, data
        assert "characters we cannot read" in response.content.decode()
    response = client.post("/en/report/where/", {"urls": "https://example.org/a\u202eb"})
    assert response.status_code == 400
    assert "Line 1: This web address has characters we cannot read." in response.content.decode()
