# ruff: noqa: RUF001 - the Cyrillic (sr) demo reports are Cyrillic on purpose
"""Demo reports for the quick start: an analysts' queue to practise on (``sigurnet demo``).

Every report is filed through ``services.file_report`` and moved on through the triage services
(claims, questions, assessments, four eyes), so the demo obeys the rules, encryption and audit
trail of real use. Everything is invented and harmless: every description starts with
``DEMO_MARKER``, every address is on an example domain (``example.org``, ``example.net``,
``example.com``) or a reserved ``.test`` domain, every person is ``@example.org``. The one
"child sexual abuse material" report points to an invented address and carries no material.

Where the assessed items are hosted is invented too (``DEMO_HOSTING``): addresses from the
documentation ranges and AS numbers for private use, given a country as if they were public,
with two invented hosting providers and a platform in the registry, so that the suggested
recipients can be practised without a DNS look-up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from sigurnet.core.models import Institution
from sigurnet.hotline import services
from sigurnet.hotline.models import (
    Assessment,
    Category,
    Channel,
    ContentItem,
    HostingFacts,
    LegalBasis,
    Report,
    Status,
)
from sigurnet.hotline.triage import selectors as triage_selectors
from sigurnet.hotline.triage import services as triage

# How a demo report's description starts: the demo finds its own reports by it.
DEMO_MARKER = "Demo:"

# The three reports of one address (the grouping demo): the same page, typed three ways.
SHARED_URLS = (
    "https://forum.example.net/t/demo-thread-17?utm_source=chat",
    "HTTPS://Forum.Example.NET/t/demo-thread-17#top",
    "https://forum.example.net/t/demo-thread-17",
)

CSAM_CLASSIFICATION = {
    "legal_class": Assessment.LegalClass.BASELINE,
    "victim_age": Assessment.VictimAge.PUBESCENT,
    "victim_gender": Assessment.VictimGender.UNKNOWN,
    "content_kind": Assessment.ContentKind.IMAGE,
    "commercial": False,
}


@dataclass(frozen=True)
class DemoReport:
    """One invented report and what the demo's analysts do with it."""

    category: str
    language: str
    channel: str
    ago: timedelta  # how long before now it was received
    description: str
    urls: tuple[str, ...] = ()
    platform: str = ""
    account: str = ""
    age_band: str = ""
    contact: str = ""  # an @example.org address, given with consent
    picture: bool = False  # a generated "DEMO" picture as evidence (never for CSAM)
    # What happens after filing: "" (stays received), "claim", "ask", "answered",
    # "assess", "forward", "close", "duplicate", "incomplete", "four_eyes".
    then: str = ""
    by: str = "analyst"  # "analyst" or "supervisor"
    outcome: str = Assessment.Outcome.NOT_ACTIONABLE
    priority: str = Assessment.Priority.NORMAL
    notes: str = ""
    # The article of the legal bases list an actionable non-CSAM assessment names (Serbia's
    # seeded list; with another country's list, its first article stands in).
    legal_basis: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def _d(days: float) -> timedelta:
    return timedelta(days=days)


OUT = Assessment.Outcome
PRI = Assessment.Priority

DEMO_REPORTS: tuple[DemoReport, ...] = (
    # --- Waiting in the queue (received) ---------------------------------------------------
    DemoReport(
        Category.GROOMING,
        "sr-latn",
        Channel.WEB,
        _h(1),
        "Demo: izmišljena prijava. Odrasla osoba u igrici piše mojoj sestri (12) i traži da "
        "pređu u privatni chat i da to ne kaže roditeljima.",
        urls=("https://games.example.com/profile/demo-player-4411",),
        platform="Demo game chat",
        account="demo_player_4411",
        age_band="13_17",
    ),
    DemoReport(
        Category.OTHER,
        "en",
        Channel.EMAIL,
        _h(3),
        "Demo: Please help, someone says they will post my pictures\n\n"
        "This is an invented e-mail for the demo. A stranger I met online says he will send "
        "private pictures of me to my school unless I pay him by Friday. I don't know what to "
        "do.\n\nhttps://chat.example.org/u/demo-stranger",
        urls=("https://chat.example.org/u/demo-stranger",),
        contact="worried.student@example.org",
    ),
    DemoReport(
        Category.HATE_SPEECH,
        "sr-latn",
        Channel.WEB,
        _d(2.5),
        "Demo: izmišljena prijava. Tema na forumu je puna uvreda protiv jedne manjinske grupe.",
        urls=(SHARED_URLS[0],),
        contact="milica.demo@example.org",
    ),
    DemoReport(
        Category.HATE_SPEECH,
        "bs",
        Channel.WEB,
        _d(1.5),
        "Demo: izmišljena prijava. Na ovom forumu neko piše mržnju prema komšijama druge vjere.",
        urls=(SHARED_URLS[1],),
    ),
    DemoReport(
        Category.HATE_SPEECH,
        "en",
        Channel.API,
        _h(20),
        "Demo: an invented report sent by a partner's tool: the same forum thread, hateful "
        "comments against a minority.",
        urls=(SHARED_URLS[2],),
    ),
    DemoReport(
        Category.PHISHING_FRAUD,
        "sr",
        Channel.WEB,
        _h(6),
        "Demo: измишљена пријава. Порука каже да сам добио награду и тражи број картице.",
        urls=("https://prize-quiz.test/win",),
    ),
    DemoReport(
        Category.PHISHING_FRAUD,
        "en",
        Channel.API,
        _h(9),
        "Demo: an invented report. A fake shop on the same domain asks for card details.",
        urls=("https://shop.prize-quiz.test/card",),
    ),
    DemoReport(
        Category.PHISHING_FRAUD,
        "sr-latn",
        Channel.WEB,
        _d(3),
        "Demo: izmišljena prijava. Lažna stranica banke traži korisničko ime i lozinku.",
        urls=("https://prize-quiz.test/login?next=bank",),
        contact="petar.demo@example.org",
    ),
    DemoReport(
        Category.VIOLENT_CONTENT,
        "sr",
        Channel.WEB,
        _d(4),
        "Demo: измишљена пријава. Видео са тучом ученика испред школе.",
        urls=("https://video.example.com/watch/demo-fight",),
        age_band="13_17",
    ),
    DemoReport(
        Category.IMPERSONATION,
        "bs",
        Channel.WEB,
        _h(30),
        "Demo: izmišljena prijava. Neko je napravio lažni profil sa mojim imenom i slikama.",
        platform="Demo social network",
        account="demo.fake.profile",
        age_band="18_plus",
        contact="amra.demo@example.org",
    ),
    # --- Being checked (claimed) ------------------------------------------------------------
    DemoReport(
        Category.CYBERBULLYING,
        "sr-latn",
        Channel.WEB,
        _h(5),
        "Demo: izmišljena prijava. Drugari iz razreda dele izmenjenu sliku moje drugarice sa "
        "ružnim natpisima. Šaljem snimak ekrana.",
        urls=("https://social.example.org/p/demo-post-202",),
        platform="Demo social network",
        account="demo.class.7b",
        age_band="13_17",
        picture=True,
        then="claim",
    ),
    DemoReport(
        Category.PHISHING_FRAUD,
        "en",
        Channel.API,
        _h(12),
        "Demo: an invented report. A text message with a parcel-delivery link on the same "
        "domain as the prize quiz.",
        urls=("https://parcel.prize-quiz.test/track",),
        then="claim",
        by="supervisor",
    ),
    DemoReport(
        Category.NCII,
        "bs",
        Channel.WEB,
        _h(2),
        "Demo: izmišljena prijava. Bivši momak je objavio moje privatne slike na jednoj "
        "stranici. (Nema stvarnih slika: ovo je primjer.)",
        urls=("https://pics.example.net/demo-album-9",),
        age_band="18_plus",
        contact="lejla.demo@example.org",
        then="claim",
    ),
    DemoReport(
        Category.HATE_SPEECH,
        "sr",
        Channel.WEB,
        _d(1.2),
        "Demo: измишљена пријава. Коментари испод вести вређају људе због порекла.",
        urls=("https://news.example.com/article/demo-1234#comments",),
        then="answered",
    ),
    # --- Waiting for details ----------------------------------------------------------------
    DemoReport(
        Category.CYBERBULLYING,
        "sr-latn",
        Channel.WEB,
        _d(2),
        "Demo: izmišljena prijava. Neko me stalno vređa u grupi na društvenoj mreži, ne znam "
        "kako da pošaljem link.",
        age_band="13_17",
        then="ask",
    ),
    # --- Assessed: waiting for the second analyst (four eyes) -------------------------------
    DemoReport(
        Category.CSAM,
        "en",
        Channel.WEB,
        _h(3.5),
        "Demo: an invented report for practising the four-eyes check. There is no such page "
        "and no material: the address is on a reserved test domain.",
        urls=("https://images.demo-host.test/album/0001",),
        then="four_eyes",
        by="supervisor",
        outcome=OUT.ACTIONABLE,
        priority=PRI.HIGH,
        notes="Demo: invented assessment, waiting for a second analyst to confirm it.",
    ),
    # --- Assessed ---------------------------------------------------------------------------
    DemoReport(
        Category.PHISHING_FRAUD,
        "sr-latn",
        Channel.API,
        _d(2.2),
        "Demo: izmišljena prijava. Lažna nagradna igra traži lične podatke dece.",
        urls=("https://giveaway.example.com/demo-win",),
        then="assess",
        outcome=OUT.ACTIONABLE,
        priority=PRI.HIGH,
        legal_basis="čl. 302 KZ",
        notes="Demo: fraud, to be sent to the police's cybercrime unit.",
    ),
    DemoReport(
        Category.VIOLENT_CONTENT,
        "en",
        Channel.WEB,
        _d(1.8),
        "Demo: an invented report. A gory film trailer on a film site.",
        urls=("https://films.example.org/trailer/demo-horror",),
        then="assess",
        outcome=OUT.HARMFUL,
        priority=PRI.LOW,
        notes="Demo: a film trailer with an age warning; harmful for children, not illegal.",
    ),
    DemoReport(
        Category.CYBERBULLYING,
        "bs",
        Channel.WEB,
        _h(28),
        "Demo: izmišljena prijava. Ružni komentari na video mog brata.",
        urls=("https://video.example.com/watch/demo-brother",),
        age_band="13_17",
        then="assess",
        by="supervisor",
        outcome=OUT.HARMFUL,
        notes="Demo: unkind comments; the helpline can call the family.",
    ),
    # --- Sent on, closed, duplicates, not enough details ------------------------------------
    DemoReport(
        Category.PHISHING_FRAUD,
        "sr",
        Channel.WEB,
        _d(6),
        "Demo: измишљена пријава. Лажна продавница патика узима новац и не шаље ништа.",
        urls=("https://sneakers.example.net/demo-sale",),
        then="forward",
        outcome=OUT.ACTIONABLE,
        priority=PRI.HIGH,
        legal_basis="čl. 208 KZ",
    ),
    DemoReport(
        Category.IMPERSONATION,
        "en",
        Channel.API,
        _d(5),
        "Demo: an invented report. A fake help-desk account copies a bank's name.",
        platform="Demo social network",
        account="demo.bank.helpdesk",
        then="forward",
        by="supervisor",
        outcome=OUT.ACTIONABLE,
        legal_basis="čl. 302 KZ",
    ),
    DemoReport(
        Category.OTHER,
        "sr-latn",
        Channel.WEB,
        _d(7.5),
        "Demo: izmišljena prijava. Ne sviđa mi se reklama za igricu.",
        urls=("https://ads.example.org/demo-banner",),
        then="close",
        outcome=OUT.NOT_ACTIONABLE,
        priority=PRI.LOW,
        notes="Demo: an ordinary advert; nothing to do.",
    ),
    DemoReport(
        Category.HATE_SPEECH,
        "en",
        Channel.EMAIL,
        _d(9),
        "Demo: Offensive post abroad\n\nAn invented e-mail: a post in another country's "
        "language that insults a football club's fans.",
        urls=("https://blog.example.com/demo-post",),
        contact="fan.demo@example.org",
        then="close",
        outcome=OUT.OUTSIDE_REMIT,
        priority=PRI.LOW,
    ),
    DemoReport(
        Category.PHISHING_FRAUD,
        "bs",
        Channel.WEB,
        _d(3.5),
        "Demo: izmišljena prijava. Ista lažna prodavnica patika kao u ranijoj prijavi.",
        urls=("https://sneakers.example.net/demo-sale?ref=friend",),
        then="duplicate",
    ),
    DemoReport(
        Category.OTHER,
        "sr",
        Channel.WEB,
        _d(8),
        "Demo: измишљена пријава. Нешто ружно.",
        then="incomplete",
        outcome=OUT.INCOMPLETE,
        priority=PRI.LOW,
    ),
    DemoReport(
        Category.SEXTORTION,
        "sr-latn",
        Channel.WEB,
        _d(10),
        "Demo: izmišljena prijava. Neko je tražio novac da ne objavi moje slike; nalog je "
        "uklonjen.",
        platform="Demo social network",
        account="demo.extortion.account",
        age_band="13_17",
        then="forward",
        outcome=OUT.ACTIONABLE,
        priority=PRI.HIGH,
        legal_basis="čl. 138 KZ",
    ),
    # --- A few more waiting, for the filters -------------------------------------------------
    DemoReport(
        Category.PHISHING_FRAUD,
        "en",
        Channel.EMAIL,
        _d(1),
        'Demo: Strange e-mail from my "bank"\n\nAn invented e-mail with a link to a '
        "login page on the prize-quiz domain.",
        urls=("https://secure.prize-quiz.test/login",),
        contact="grandpa.demo@example.org",
    ),
    DemoReport(
        Category.VIOLENT_CONTENT,
        "bs",
        Channel.API,
        _h(15),
        "Demo: izmišljena prijava. Video sa okrutnim postupanjem prema životinjama.",
        urls=("https://video.example.com/watch/demo-animals",),
    ),
    DemoReport(
        Category.CYBERBULLYING,
        "sr",
        Channel.WEB,
        _d(5.5),
        "Demo: измишљена пријава. Лажна анкета „ко је најружнији у разреду“.",
        urls=("https://poll.example.org/demo-class-poll",),
        age_band="under_13",
        then="claim",
        by="supervisor",
    ),
    DemoReport(
        Category.IMPERSONATION,
        "sr-latn",
        Channel.WEB,
        _h(0.5),
        "Demo: izmišljena prijava. Lažni nalog škole objavljuje netačna obaveštenja.",
        platform="Demo social network",
        account="demo.school.official",
    ),
)


def demo_picture() -> bytes:
    """A harmless picture for the evidence demo: a coloured rectangle that says DEMO."""
    image = Image.new("RGB", (480, 270), (46, 125, 170))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 459, 249), outline=(255, 255, 255), width=6)
    draw.text((190, 110), "DEMO", fill=(255, 255, 255), font_size=40)
    draw.text((120, 200), "invented evidence for the demo", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def demo_report_count() -> int:
    """How many demo reports the database holds (their descriptions start with the marker)."""
    return sum(
        1
        for report in Report.objects.only("pk", "description").iterator(chunk_size=500)
        if report.description.startswith(DEMO_MARKER)
    )


def _file(spec: DemoReport, now: Any) -> Report:
    evidence_ids = []
    if spec.picture:
        upload = SimpleUploadedFile("screenshot-demo.png", demo_picture(), "image/png")
        stored = services.store_upload("demo", upload, earlier_files=0, earlier_bytes=0)
        evidence_ids.append(stored.pk)
    submission = services.ReportSubmission(
        category=spec.category,
        language=spec.language,
        urls=list(spec.urls),
        platform=spec.platform,
        account=spec.account,
        seen_at=now - spec.ago - timedelta(hours=2),
        description=spec.description,
        age_band=spec.age_band,
        contact_email=spec.contact,
        contact_consent=bool(spec.contact),
        evidence_ids=evidence_ids,
    )
    report = services.file_report(submission, channel=spec.channel).report
    # received_at is set when the row is written: spread the demo over the last days.
    Report.objects.filter(pk=report.pk).update(received_at=now - spec.ago)
    report.refresh_from_db()
    return report


def _legal_basis(spec: DemoReport, report: Report) -> LegalBasis | None:
    """The demo assessment's legal basis: its article where the centre's list has it, else
    the list's first article when one is required (an empty list requires none)."""
    offered = triage_selectors.legal_bases()
    basis = offered.filter(code=spec.legal_basis).first() if spec.legal_basis else None
    if basis is None and triage.legal_basis_required(spec.outcome, report.category):
        basis = offered.first()
    return basis


def _work_on(
    report: Report,
    spec: DemoReport,
    actor: AbstractBaseUser,
    first_of: dict[str, Report],
) -> None:
    if not spec.then:
        return
    triage.claim(report, actor=actor)
    if spec.then == "claim":
        return
    if spec.then in ("ask", "answered"):
        triage.ask_reporter(
            report, text=triage.question_text("address", report.language), actor=actor
        )
        if spec.then == "answered":
            services.add_reporter_message(
                report,
                text="Ево тачне адресе.",
                urls=["https://news.example.com/article/demo-1234?page=2#comments"],
            )
        return
    if spec.then == "duplicate":
        triage.assess(
            report,
            outcome=Assessment.Outcome.DUPLICATE,
            priority=Assessment.Priority.NORMAL,
            category=report.category,
            duplicate_of=first_of[spec.urls[0].split("?")[0]],
            actor=actor,
        )
        return
    triage.assess(
        report,
        outcome=spec.outcome,
        priority=spec.priority,
        category=report.category,
        notes=spec.notes,
        classification=CSAM_CLASSIFICATION if spec.then == "four_eyes" else None,
        legal_basis=_legal_basis(spec, report),
        actor=actor,
    )
    if spec.then == "forward":
        triage.transition(report, Status.FORWARDED, actor=actor)
    elif spec.then == "close":
        triage.transition(report, Status.CLOSED, actor=actor)


@transaction.atomic
def create_demo_reports(*, analyst: str, supervisor: str) -> int:
    """File the demo reports and work on them as the demo's ``analyst`` and ``supervisor``
    (usernames); returns how many demo reports there are. A second run adds nothing."""
    existing = demo_report_count()
    if existing:
        return existing
    users = get_user_model()
    actors = {
        "analyst": users.objects.get(username=analyst),
        "supervisor": users.objects.get(username=supervisor),
    }
    now = timezone.now()
    first_of: dict[str, Report] = {}
    filed: list[int] = []
    for spec in sorted(DEMO_REPORTS, key=lambda s: s.ago, reverse=True):
        report = _file(spec, now)
        filed.append(report.pk)
        for url in spec.urls:
            first_of.setdefault(url.split("?")[0], report)
        _work_on(report, spec, actors[spec.by], first_of)
    create_demo_hosting(filed)
    return len(DEMO_REPORTS)


# Invented hosts: (address, country, AS number, network name, abuse address) per registrable
# domain. Documentation addresses (RFC 5737, RFC 3849) and private-use AS numbers (RFC 6996).
DEMO_HOSTING: dict[str, list[tuple[str, str, int, str, str]]] = {
    "example.com": [("192.0.2.10", "RS", 64500, "DEMO-HOSTING-RS", "abuse@hosting.example.org")],
    "example.org": [("192.0.2.20", "RS", 64500, "DEMO-HOSTING-RS", "abuse@hosting.example.org")],
    "example.net": [
        ("198.51.100.7", "NL", 64501, "EXAMPLE-CLOUD-NL", "abuse@cloud.example.net"),
        ("2001:db8:51::7", "NL", 64501, "EXAMPLE-CLOUD-NL", "abuse@cloud.example.net"),
    ],
    "demo-host.test": [
        ("198.51.100.9", "NL", 64501, "EXAMPLE-CLOUD-NL", "abuse@cloud.example.net")
    ],
}
DEMO_HOST_DEFAULT = [("192.0.2.30", "RS", 64500, "DEMO-HOSTING-RS", "abuse@hosting.example.org")]
DEMO_INSTITUTIONS = [
    {
        "name": "Demo Hosting d.o.o.",
        "kind": Institution.Kind.HOSTING_PROVIDER,
        "country": "RS",
        "intake_method": Institution.IntakeMethod.EMAIL,
        "intake_email": "abuse@hosting.example.org",
        "networks": ["AS64500", "192.0.2.0/24"],
        "notes": "Demo: an invented hosting provider.",
    },
    {
        "name": "Example Cloud B.V. (demo)",
        "kind": Institution.Kind.HOSTING_PROVIDER,
        "country": "NL",
        "intake_method": Institution.IntakeMethod.EMAIL,
        "intake_email": "abuse@cloud.example.net",
        "networks": ["AS64501", "198.51.100.0/24", "2001:db8:51::/48"],
        "notes": "Demo: an invented hosting provider.",
    },
    {
        "name": "Demo social network",
        "kind": Institution.Kind.PLATFORM,
        "country": "RS",
        "intake_method": Institution.IntakeMethod.EMAIL,
        "intake_email": "trust@social.example.org",
        "domains": ["social.example.org"],
        "notes": "Demo: an invented platform.",
    },
]


def create_demo_hosting(report_ids: list[int]) -> int:
    """Invented hosting facts for the items of these reports that an actionable or harmful
    assessment would have looked up, and the demo's hosts and platform; returns how many items
    got facts. Facts already found are kept."""
    from sigurnet.hotline.forwarding.hosting import LOOK_UP_OUTCOMES, item_host

    for entry in DEMO_INSTITUTIONS:
        fields = dict(entry)
        Institution.objects.get_or_create(
            country=fields.pop("country"), name=fields.pop("name"), defaults=fields
        )
    assessed = [
        report
        for report in Report.objects.filter(pk__in=report_ids).prefetch_related("assessments")
        if report.assessments.all() and report.assessments.all()[0].outcome in LOOK_UP_OUTCOMES
    ]
    items = ContentItem.objects.filter(reported_urls__report__in=assessed).distinct()
    now = timezone.now()
    written = 0
    for item in items:
        if HostingFacts.objects.filter(item=item, outcome=HostingFacts.Outcome.FOUND).exists():
            continue
        host = item_host(item)
        facts: dict[str, Any] = {"looked_up_at": now, "attempts": 1, "error_code": "", "error": ""}
        if host is None:
            facts.update(outcome=HostingFacts.Outcome.NO_HOST, host="", addresses=[])
        else:
            domain = next((d for d in DEMO_HOSTING if host == d or host.endswith("." + d)), "")
            hosts = DEMO_HOSTING.get(domain, DEMO_HOST_DEFAULT)
            _address, country, asn, network, abuse = hosts[0]
            facts.update(
                outcome=HostingFacts.Outcome.FOUND,
                host=host,
                country=country,
                asn=asn,
                network_name=network,
                abuse_email=abuse,
                addresses=[
                    {
                        "address": a,
                        "version": 6 if ":" in a else 4,
                        "public": True,  # invented: the demo treats them as public
                        "demo": True,
                        "country": c,
                        "asn": n,
                        "network_name": name,
                    }
                    for a, c, n, name, _abuse in hosts
                ],
            )
        HostingFacts.objects.update_or_create(item=item, defaults=facts)
        written += 1
    return written
