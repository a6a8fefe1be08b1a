"""A report in front of an analyst: what the reporter gave, audited; addresses as text;
evidence blurred until revealed, decrypted in memory, never cached."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from sigurnet.core.models import AuditEvent
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.models import ContentItem, Evidence, LegalBasis, ReportedURL

pytestmark = pytest.mark.django_db

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"]


def picture(colour: tuple[int, int, int] = (220, 20, 20)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (64, 48), (255, 255, 255))
    for x in range(32):
        for y in range(48):
            image.putpixel((x, y), colour)
    image.save(out, format="PNG")
    return out.getvalue()


def attach(report, data: bytes, name: str = "slika.png") -> Evidence:
    clean = evidence_files.inspect(data)
    return Evidence.objects.create(
        report=report,
        storage_name=evidence_files.write_encrypted(clean),
        original_name=name,
        content_type=clean.content_type,
        size=len(clean.content),
    )


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    settings.SIGURNET_EVIDENCE_ROOT = str(tmp_path / "evidence")


def test_analyst_sees_everything_the_reporter_gave_and_the_view_is_audited(signed_in, make_report):
    report = make_report(
        description="Neko šalje poruke mojoj sestri.",
        platform="Instagram",
        account="@lazni.profil",
        location_hint="U komentarima ispod slike",
        contact_email="roditelj@example.org",
        contact_consent=True,
    )
    client = signed_in("Hotline analyst")
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    for shown in [
        "Neko šalje poruke mojoj sestri.",
        "@lazni.profil",
        "U komentarima ispod slike",
        "roditelj@example.org",
        "https://shop.example.com/offer",
    ]:
        assert shown in page
    event = AuditEvent.objects.get(action="hotline.report_viewed")
    assert event.object_type == "hotline.report" and event.object_id == str(report.pk)
    assert event.actor_id == client.user.pk
    assert "description" in event.detail["fields"]


def test_the_report_is_found_by_its_id_too(signed_in, make_report):
    report = make_report()
    response = signed_in("Hotline analyst").get(f"/staff/hotline/{report.pk}/")
    assert response.status_code == 200
    assert report.reference in response.content.decode()


def test_queue_reads_no_encrypted_field(signed_in, make_report, monkeypatch):
    from sigurnet.core import crypto

    make_report(description="Tajna", contact_email="a@example.org", contact_consent=True)
    client = signed_in("Hotline analyst")
    calls = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda value: calls.append(1) or real(value))
    assert client.get("/staff/hotline/").status_code == 200
    assert calls == []


def test_hostile_text_is_inert_on_the_report_page(signed_in, make_report):
    report = make_report(
        description=PAYLOADS[0],
        platform=PAYLOADS[1],
        account=PAYLOADS[1],
        location_hint=PAYLOADS[2],
        urls=[f"https://x.example/{PAYLOADS[1]}"],
    )
    item = ContentItem.objects.create(url_index="x" * 64, canonical=PAYLOADS[2])
    ReportedURL.objects.create(report=report, content_item=item, submitted=PAYLOADS[2], position=1)
    client = signed_in("Hotline analyst")
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert not any("javascript" in h or "x.example" in h or "onerror" in h for h in hrefs)
    # The javascript: address is not offered for opening at all, and cannot be opened.
    assert f"/staff/hotline/{report.reference}/urls/1/open/" not in page
    assert client.get(f"/staff/hotline/{report.reference}/urls/1/open/").status_code == 404


def test_a_reported_address_opens_only_deliberately_without_referrer(signed_in, make_report):
    report = make_report(urls=["https://abuse.example.net/gallery?id=4"])
    client = signed_in("Hotline analyst")
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert '<code class="untrusted">https://abuse.example.net/gallery?id=4</code>' in page
    link = re.search(r'<a href="([^"]*/urls/0/open/)"([^>]*)>', page)
    assert link is not None
    assert 'target="_blank"' in link.group(2) and 'rel="noreferrer noopener"' in link.group(2)
    assert "may show abuse" in page
    assert not AuditEvent.objects.filter(action="hotline.url_opened").exists()
    response = client.get(link.group(1))
    assert response.status_code == 302
    assert response["Location"] == "https://abuse.example.net/gallery?id=4"
    assert response["Referrer-Policy"] == "no-referrer"
    event = AuditEvent.objects.get(action="hotline.url_opened")
    assert event.object_id == str(report.pk)


def test_evidence_pictures_are_blurred_grey_until_revealed_one_at_a_time(signed_in, make_report):
    report = make_report(category="cyberbullying")
    first = attach(report, picture())
    second = attach(report, picture((20, 20, 220)))
    client = signed_in("Hotline analyst")
    base = f"/staff/hotline/{report.reference}/"
    page = client.get(base).content.decode()
    assert f'src="{base}evidence/{first.pk}/"' in page
    assert f'src="{base}evidence/{second.pk}/"' in page
    assert "variant=full" not in page

    blurred = client.get(f"{base}evidence/{first.pk}/")
    assert blurred["Cache-Control"] == "no-store"
    assert blurred["Content-Disposition"].startswith("inline;")
    with Image.open(io.BytesIO(blurred.content)) as image:
        assert image.mode == "L"  # grey
        # The sharp edge between the red and the white half is gone (175 grey levels before).
        assert abs(image.getpixel((33, 24)) - image.getpixel((30, 24))) < 40

    # Revealing (a plain link, no JavaScript) shows that picture only, on this page only.
    page = client.get(f"{base}?reveal={first.pk}").content.decode()
    assert f'src="{base}evidence/{first.pk}/?variant=full"' in page
    assert f'src="{base}evidence/{second.pk}/"' in page
    assert "variant=full" not in client.get(base).content.decode()
    revealed = AuditEvent.objects.get(action="hotline.evidence_revealed")
    assert revealed.detail["evidence"] == first.pk and revealed.object_id == str(report.pk)

    full = client.get(f"{base}evidence/{first.pk}/?variant=full")
    assert full["Content-Type"] == "image/png"
    assert full["Cache-Control"] == "no-store"
    with Image.open(io.BytesIO(full.content)) as image:
        assert image.convert("RGB").getpixel((0, 0)) == (220, 20, 20)


def test_a_reveal_is_not_carried_to_another_report(signed_in, make_report):
    one = make_report(category="cyberbullying")
    other = make_report(category="cyberbullying")
    shown = attach(one, picture())
    attach(other, picture())
    client = signed_in("Hotline analyst")
    page = client.get(f"/staff/hotline/{other.reference}/?reveal={shown.pk}").content.decode()
    assert "variant=full" not in page
    response = client.get(f"/staff/hotline/{other.reference}/evidence/{shown.pk}/")
    assert response.status_code == 404


def test_evidence_download_is_decrypted_in_memory_audited_and_not_cached(
    signed_in, make_report, settings
):
    report = make_report(category="phishing_fraud")
    text = attach(report, "Poruka: pošalji PIN".encode(), name="poruka.txt")
    client = signed_in("Hotline analyst")
    response = client.get(f"/staff/hotline/{report.reference}/evidence/{text.pk}/?download=1")
    assert response.status_code == 200
    assert response.content == "Poruka: pošalji PIN".encode()
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{report.reference}-evidence-{text.pk}.txt"'
    )
    event = AuditEvent.objects.get(action="hotline.evidence_served")
    assert event.object_id == str(report.pk)
    assert event.detail == {
        "reference": report.reference,
        "evidence": text.pk,
        "variant": "download",
    }
    # Nothing but the encrypted file is on disk.
    from pathlib import Path

    stored = list(Path(settings.SIGURNET_EVIDENCE_ROOT).iterdir())
    assert len(stored) == 1 and b"PIN" not in stored[0].read_bytes()


def test_the_report_page_lists_reports_of_the_same_item_and_domain_and_their_assessments(
    signed_in, make_report, make_staff
):
    from sigurnet.hotline.triage import services

    earlier = make_report(urls=["https://shop.example.com/offer?utm_source=x"])
    same_domain = make_report(urls=["https://www.shop.example.com/other"])
    unrelated = make_report(urls=["https://elsewhere.example.org/"])
    analyst = make_staff("Hotline analyst", username="ana")
    services.claim(earlier, actor=analyst)
    services.assess(
        earlier,
        outcome="actionable",
        priority="high",
        category=earlier.category,
        legal_basis=LegalBasis.objects.get(code="čl. 208 KZ"),
        actor=analyst,
    )
    report = make_report(urls=["https://shop.example.com/offer"])
    page = signed_in("Hotline analyst").get(f"/staff/hotline/{report.reference}/")
    context = page.context["context"]
    assert context["same_item"] == [earlier]
    assert context["same_domain"] == [same_domain]
    assert [a.report for a in context["earlier_assessments"]] == [earlier]
    html = page.content.decode()
    assert unrelated.reference not in html
    assert "Actionable (illegal)" in html


def test_revealed_pictures_are_counted_for_the_analyst_with_a_break_reminder(
    signed_in, make_report
):
    from sigurnet.hotline.models import HotlineSettings

    HotlineSettings.objects.create(pk=1, reveal_break_after=2)
    report = make_report(category="cyberbullying")
    pictures = [attach(report, picture()), attach(report, picture((0, 0, 200)))]
    client = signed_in("Hotline analyst", username="ana")
    queue = client.get("/staff/hotline/").content.decode()
    assert "You revealed 0 pictures today." in queue
    client.get(f"/staff/hotline/{report.reference}/?reveal={pictures[0].pk}")
    page = client.get(f"/staff/hotline/{report.reference}/").content.decode()
    assert "You revealed 1 picture today." in page
    assert "Take a short break" not in page
    client.get(f"/staff/hotline/{report.reference}/?reveal={pictures[1].pk}")
    queue = client.get("/staff/hotline/").content.decode()
    assert "You revealed 2 pictures today." in queue and "Take a short break" in queue
    assert "Pictures revealed today" not in queue  # the per-person table is for supervisors
    supervisor = signed_in("Hotline supervisor").get("/staff/hotline/").content.decode()
    assert "Pictures revealed today" in supervisor
    assert "<td>ana</td><td>2</td>" in supervisor


def test_a_reporter_who_gave_no_age_shows_a_dash_not_the_reporters_wording(signed_in, make_report):
    report = make_report(age_band="")
    page = signed_in("Hotline analyst").get(f"/staff/hotline/{report.reference}/")
    assert "I&#x27;d rather not say" not in page.content.decode()
    assert "rather not say" not in page.content.decode()
