"""Triage writes: the status flow of a report, claims, and assessments.

Every change of a report's status goes through ``transition``, and every change is recorded
in the audit trail with the report's id.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from sigurnet.core.script import latin_to_cyrillic
from sigurnet.core.services import record_audit_event
from sigurnet.hotline.models import (
    URGENT_CATEGORIES,
    Assessment,
    Category,
    ContentItem,
    HotlineSettings,
    LegalBasis,
    Report,
    Status,
)
from sigurnet.hotline.triage import selectors, working_time

OBJECT_TYPE = "hotline.report"

log = logging.getLogger(__name__)


class TriageAction:
    """Audit trail action names of the triage. Stable: filters depend on them."""

    STATUS_CHANGED = "hotline.status_changed"
    CLAIMED = "hotline.claimed"
    ASSIGNED = "hotline.assigned"
    RELEASED = "hotline.released"
    VIEWED = "hotline.report_viewed"
    ITEMS_VIEWED = "hotline.items_viewed"
    DOMAINS_VIEWED = "hotline.domains_viewed"
    URL_OPENED = "hotline.url_opened"
    EVIDENCE_REVEALED = "hotline.evidence_revealed"
    EVIDENCE_SERVED = "hotline.evidence_served"
    ASSESSED = "hotline.assessed"
    REPORTER_ASKED = "hotline.reporter_asked"
    CONFIRMED = "hotline.assessment_confirmed"
    DISPUTED = "hotline.assessment_disputed"
    CATEGORY_CORRECTED = "hotline.category_corrected"
    SETTINGS_CHANGED = "hotline.settings_changed"
    LEGAL_BASES_CHANGED = "hotline.legal_bases_changed"
    FEEDBACK_SENT = "hotline.feedback_sent"
    HELD_VIEWED = "hotline.held_viewed"


# How the audit trail names these actions (registered in ``HotlineConfig.ready``).
TRIAGE_ACTION_LABELS: Mapping[str, Any] = {
    TriageAction.STATUS_CHANGED: _("Report status changed"),
    TriageAction.CLAIMED: _("Report taken"),
    TriageAction.ASSIGNED: _("Report assigned"),
    TriageAction.RELEASED: _("Report released"),
    TriageAction.VIEWED: _("Report read"),
    TriageAction.ITEMS_VIEWED: _("Reports grouped by address viewed"),
    TriageAction.DOMAINS_VIEWED: _("Reports grouped by domain viewed"),
    TriageAction.URL_OPENED: _("Reported address opened"),
    TriageAction.EVIDENCE_REVEALED: _("Evidence picture revealed"),
    TriageAction.EVIDENCE_SERVED: _("Evidence file opened"),
    TriageAction.ASSESSED: _("Report assessed"),
    TriageAction.REPORTER_ASKED: _("Reporter asked for details"),
    TriageAction.CONFIRMED: _("Assessment confirmed"),
    TriageAction.DISPUTED: _("Assessment disputed"),
    TriageAction.CATEGORY_CORRECTED: _("Report category corrected"),
    TriageAction.SETTINGS_CHANGED: _("Hotline settings changed"),
    TriageAction.LEGAL_BASES_CHANGED: _("Legal bases changed"),
    TriageAction.FEEDBACK_SENT: _("Feedback sent to the reporter"),
    TriageAction.HELD_VIEWED: _("Held e-mails from the sender read"),
}


# The status flow of a report, written once. DESIGN.md: received -> in_assessment ->
# (needs_info) -> assessed -> forwarded -> closed, with duplicate and incomplete as closing
# outcomes. A key's set lists every status the report may move to from there.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.IN_ASSESSMENT}),
    Status.IN_ASSESSMENT: frozenset(
        {Status.NEEDS_INFO, Status.ASSESSED, Status.DUPLICATE, Status.INCOMPLETE}
    ),
    # The reporter answers (back to assessment), or never does.
    Status.NEEDS_INFO: frozenset({Status.IN_ASSESSMENT, Status.INCOMPLETE}),
    # Forwarded when actionable, closed when there is nothing to forward; reopened for a
    # correction or a second look.
    Status.ASSESSED: frozenset({Status.FORWARDED, Status.CLOSED, Status.IN_ASSESSMENT}),
    Status.FORWARDED: frozenset({Status.CLOSED}),
    # A closed report comes back when its reporter writes again (``REOPENED_BY_REPORTER``):
    # most often the details asked for arrive after it was closed as incomplete.
    Status.CLOSED: frozenset({Status.IN_ASSESSMENT}),
    Status.DUPLICATE: frozenset(),
    Status.INCOMPLETE: frozenset({Status.IN_ASSESSMENT}),
}

# What a message from the reporter does to the report (``reporter_wrote``): these statuses go
# back to *in assessment*; every other keeps its status (a forwarded or assessed report is
# still being dealt with; a duplicate's content is handled on the earlier report) and the
# analysts find the message flagged (``triage.answers``) until the hotline writes back.
REOPENED_BY_REPORTER = frozenset({Status.NEEDS_INFO, Status.INCOMPLETE, Status.CLOSED})

# What an assessment's outcome does to the report's status.
OUTCOME_STATUS: Mapping[str, str] = {
    Assessment.Outcome.ACTIONABLE: Status.ASSESSED,
    Assessment.Outcome.HARMFUL: Status.ASSESSED,
    Assessment.Outcome.NOT_ACTIONABLE: Status.ASSESSED,
    Assessment.Outcome.OUTSIDE_REMIT: Status.ASSESSED,
    Assessment.Outcome.INCOMPLETE: Status.INCOMPLETE,
    Assessment.Outcome.DUPLICATE: Status.DUPLICATE,
}


# Four eyes on actionable child sexual abuse material: a second analyst confirms before the
# report can be forwarded. A supervisor setting (``HotlineSettings.four_eyes_for_csam``); this
# is its default.
FOUR_EYES_FOR_CSAM = selectors.FOUR_EYES_FOR_CSAM


# What an actionable CSAM assessment must say, as INHOPE's ICCAM classifies.
CSAM_CLASSIFICATION = ("legal_class", "victim_age", "victim_gender", "content_kind", "commercial")


def needs_four_eyes(outcome: str, category: str) -> bool:
    """Whether a new assessment must wait for a second analyst. The setting applies to
    assessments made from then on: one already waiting keeps waiting."""
    return (
        selectors.hotline_settings().four_eyes_for_csam
        and outcome == Assessment.Outcome.ACTIONABLE
        and category == Category.CSAM
    )


class TriageRefused(Exception):
    """The change is not allowed now; ``code`` says why (the views turn it into a message)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def _audit(
    action: str,
    report: Report,
    *,
    actor: AbstractBaseUser | None,
    request: HttpRequest | None,
    detail: dict[str, Any] | None = None,
) -> None:
    record_audit_event(
        action,
        actor=actor,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=report.pk,
        detail={"reference": report.reference or "", **(detail or {})},
    )


def transition(
    report: Report,
    to: str,
    *,
    actor: AbstractBaseUser | None,
    request: HttpRequest | None = None,
) -> Report:
    """Move ``report`` to status ``to`` if the table allows it from its current status.

    The UPDATE is conditional on the status read, so two people changing the same report at
    once cannot both succeed from the same state. Raises ``TriageRefused`` ("transition")
    otherwise. Updates ``report`` in place and returns it.
    """
    current = report.status
    if not allowed(current, to):
        raise TriageRefused("transition", f"{current} -> {to}")
    if to == Status.FORWARDED:
        newest = report.assessments.order_by("-created_at", "-id").first()
        if newest is not None and newest.needs_confirmation and newest.confirmed_by_id is None:
            raise TriageRefused("unconfirmed")
    with transaction.atomic():
        changed = Report.objects.filter(pk=report.pk, status=current).update(
            status=to, updated_at=timezone.now()
        )
        if not changed:
            report.refresh_from_db(fields=["status"])
            raise TriageRefused("stale", f"status is now {report.status}")
        report.status = to
        _audit(
            TriageAction.STATUS_CHANGED,
            report,
            actor=actor,
            request=request,
            detail={"from": current, "to": to},
        )
    return report


def reporter_wrote(report: Report) -> None:
    """What a message from the reporter (receipt page, API or e-mail reply, stored by
    ``hotline.services.add_reporter_message`` in the caller's transaction) does to the report.

    It counts as a change of the report (``updated_at``: retention counts from the last
    change, so a closed report's answer is kept as long as any change). A report in
    ``REOPENED_BY_REPORTER`` moves to *in assessment* through the table, audited without an
    actor. A status that changed meanwhile (a colleague closed or reopened it) is left as it
    is: the message is kept whatever happens to the status, and stays flagged.
    """
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    if report.status not in REOPENED_BY_REPORTER:
        return
    try:
        transition(report, Status.IN_ASSESSMENT, actor=None)
    except TriageRefused:
        log.info("Report %s changed while its reporter wrote; status left as it is", report.pk)


def claim(report: Report, *, actor: AbstractBaseUser, request: HttpRequest | None = None) -> Report:
    """Give the report to ``actor`` if nobody holds it ("I take it").

    One conditional UPDATE decides: of two analysts claiming at once exactly one wins, the
    other gets ``TriageRefused("taken")``. A report still *received* moves to *in assessment*.
    """
    with transaction.atomic():
        now = timezone.now()
        won = Report.objects.filter(pk=report.pk, assignee__isnull=True).update(
            assignee=actor, claimed_at=now, updated_at=now
        )
        if not won:
            report.refresh_from_db(fields=["assignee", "claimed_at"])
            raise TriageRefused("taken")
        report.assignee = actor  # type: ignore[assignment]
        report.claimed_at = now
        _audit(TriageAction.CLAIMED, report, actor=actor, request=request)
        if report.status == Status.RECEIVED:
            transition(report, Status.IN_ASSESSMENT, actor=actor, request=request)
    return report


def assign(
    report: Report,
    to: AbstractBaseUser,
    *,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> Report:
    """A supervisor gives the report to a colleague who may work on reports."""
    if not actor.has_perm("hotline.assign_report"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")
    if not to.is_active or not to.has_perm("hotline.change_report"):  # type: ignore[attr-defined]
        raise TriageRefused("assignee")
    previous = report.assignee_id
    with transaction.atomic():
        now = timezone.now()
        Report.objects.filter(pk=report.pk).update(assignee=to, claimed_at=now, updated_at=now)
        report.assignee = to  # type: ignore[assignment]
        report.claimed_at = now
        _audit(
            TriageAction.ASSIGNED,
            report,
            actor=actor,
            request=request,
            detail={"to": to.pk, "from": previous},
        )
        if report.status == Status.RECEIVED:
            transition(report, Status.IN_ASSESSMENT, actor=actor, request=request)
    return report


def release(
    report: Report, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> Report:
    """Give the report back to the queue: its holder may, and a supervisor may for anyone."""
    is_holder = report.assignee_id == actor.pk
    if not is_holder and not actor.has_perm("hotline.assign_report"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")
    with transaction.atomic():
        filters: dict[str, Any] = {"pk": report.pk}
        if is_holder:
            filters["assignee"] = actor
        released = Report.objects.filter(**filters, assignee__isnull=False).update(
            assignee=None, claimed_at=None, updated_at=timezone.now()
        )
        if not released:
            raise TriageRefused("not_held")
        _audit(
            TriageAction.RELEASED,
            report,
            actor=actor,
            request=request,
            detail={"from": report.assignee_id},
        )
        report.assignee = None
        report.claimed_at = None
    return report


def record_view(
    report: Report,
    *,
    actor: AbstractBaseUser,
    request: HttpRequest | None,
    fields: list[str],
    revealed_evidence: int | None = None,
) -> None:
    """Audit one display of a report's decrypted fields (and of a revealed image)."""
    _audit(TriageAction.VIEWED, report, actor=actor, request=request, detail={"fields": fields})
    if revealed_evidence is not None:
        _audit(
            TriageAction.EVIDENCE_REVEALED,
            report,
            actor=actor,
            request=request,
            detail={"evidence": revealed_evidence},
        )


def record_held_viewed(
    report: Report, *, held_ids: list[int], actor: AbstractBaseUser, request: HttpRequest | None
) -> None:
    """Audit one display of the held e-mails (their decrypted subjects) beside a report."""
    _audit(
        TriageAction.HELD_VIEWED, report, actor=actor, request=request, detail={"held": held_ids}
    )


def record_url_opened(
    report: Report, *, position: int, actor: AbstractBaseUser, request: HttpRequest | None
) -> None:
    _audit(TriageAction.URL_OPENED, report, actor=actor, request=request, detail={"url": position})


def record_evidence_served(
    report: Report,
    *,
    evidence_id: int,
    variant: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None,
) -> None:
    _audit(
        TriageAction.EVIDENCE_SERVED,
        report,
        actor=actor,
        request=request,
        detail={"evidence": evidence_id, "variant": variant},
    )


# Outcomes for which a non-CSAM assessment names a legal basis.
LEGAL_BASIS_OUTCOMES = frozenset({Assessment.Outcome.ACTIONABLE, Assessment.Outcome.HARMFUL})


def legal_basis_required(outcome: str, category: str, *, listed: bool | None = None) -> bool:
    """Whether an assessment must name a legal basis: an actionable one of another category
    than child sexual abuse material, when the centre's country lists active legal bases
    (with an empty list there is nothing to choose). ``listed`` says whether the list is
    non-empty when the caller knows it already (one query otherwise).

    The rule is written here once: ``assess`` enforces it for every entry point, and the
    assessment forms ask it to show the error beside the field.
    """
    if outcome != Assessment.Outcome.ACTIONABLE or category in ("", Category.CSAM):
        return False
    return selectors.legal_bases().exists() if listed is None else listed


def assess(
    report: Report,
    *,
    outcome: str,
    priority: str,
    category: str,
    notes: str = "",
    duplicate_of: Report | None = None,
    classification: Mapping[str, Any] | None = None,
    legal_basis: LegalBasis | None = None,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> Assessment:
    """Record an analyst's assessment and move the report on through the status table.

    Only a report *in assessment* can be assessed (``TriageRefused("transition")`` otherwise),
    by the analyst who holds it or by a supervisor (``TriageRefused("not_yours")``).
    A category corrected to an urgent one raises the urgent notice, once, after the commit
    (e-mailed reports arrive as "other" and never raised it). An actionable CSAM assessment
    needs its ICCAM ``classification`` (``CSAM_CLASSIFICATION``; ``TriageRefused
    ("classification")`` otherwise); other assessments keep none. A ``legal_basis`` is kept
    for a non-CSAM actionable or harmful assessment only, and must be an active one of the
    centre's country (``TriageRefused("legal_basis")`` otherwise). An actionable non-CSAM
    assessment without one is refused (``TriageRefused("legal_basis_required")``) when the
    country's list is not empty (``legal_basis_required``).
    """
    to = OUTCOME_STATUS[outcome]
    if not allowed(report.status, to):
        raise TriageRefused("transition", f"{report.status} -> {to}")
    if report.assignee_id != actor.pk and not actor.has_perm("hotline.assign_report"):  # type: ignore[attr-defined]
        raise TriageRefused("not_yours")
    csam = outcome == Assessment.Outcome.ACTIONABLE and category == Category.CSAM
    given = {k: v for k, v in (classification or {}).items() if k in CSAM_CLASSIFICATION}
    if csam and any(given.get(k) in (None, "") for k in CSAM_CLASSIFICATION):
        raise TriageRefused("classification")
    if not csam:
        given = {}
    if outcome == Assessment.Outcome.DUPLICATE and (
        duplicate_of is None or duplicate_of.pk == report.pk
    ):
        raise TriageRefused("duplicate_of")
    if category == Category.CSAM or outcome not in LEGAL_BASIS_OUTCOMES:
        legal_basis = None
    if legal_basis is not None and not selectors.legal_bases().filter(pk=legal_basis.pk).exists():
        raise TriageRefused("legal_basis")
    if legal_basis is None and legal_basis_required(outcome, category):
        raise TriageRefused("legal_basis_required")
    with transaction.atomic():
        before = report.category
        assessment = Assessment.objects.create(
            report=report,
            analyst=actor,  # type: ignore[misc]
            outcome=outcome,
            priority=priority,
            category_before=before,
            category=category,
            duplicate_of=duplicate_of if outcome == Assessment.Outcome.DUPLICATE else None,
            notes=notes,
            needs_confirmation=needs_four_eyes(outcome, category),
            legal_basis=legal_basis,
            **given,
        )
        # The outcome and the first assessment's time are the figures' (hotline/figures.py).
        Report.objects.filter(pk=report.pk).update(
            priority=priority,
            category=category,
            outcome=outcome,
            first_assessed_at=Coalesce(F("first_assessed_at"), Value(assessment.created_at)),
        )
        report.priority = priority
        report.outcome = outcome
        report.first_assessed_at = report.first_assessed_at or assessment.created_at
        if category != before:
            report.category = category
            _audit(
                TriageAction.CATEGORY_CORRECTED,
                report,
                actor=actor,
                request=request,
                detail={"from": before, "to": category},
            )
            if category in URGENT_CATEGORIES and report.urgent_notified_at is None:
                from sigurnet.hotline.services import _queue_urgent_notice

                report_id = report.pk
                transaction.on_commit(lambda: _queue_urgent_notice(report_id))
        _audit(
            TriageAction.ASSESSED,
            report,
            actor=actor,
            request=request,
            detail={"assessment": assessment.pk, "outcome": outcome, "priority": priority},
        )
        transition(report, to, actor=actor, request=request)
        # Where is it hosted? Looked up in Celery after the commit, for actionable and
        # harmful content only (the forwarding suggestions need it).
        from sigurnet.hotline.forwarding.hosting import queue_look_ups

        queue_look_ups(report)
    return assessment


def record_items_viewed(
    item_ids: list[int], *, actor: AbstractBaseUser, request: HttpRequest | None
) -> None:
    """Audit one display of the grouped view (it shows the items' addresses)."""
    record_audit_event(
        TriageAction.ITEMS_VIEWED,
        actor=actor,
        request=request,
        object_type="hotline.contentitem",
        detail={"items": item_ids},
    )


def record_domains_viewed(
    item_ids: list[int], *, actor: AbstractBaseUser, request: HttpRequest | None
) -> None:
    """Audit one display of registrable domains (decrypted from these items): the grouping
    by domain, or one domain's group."""
    record_audit_event(
        TriageAction.DOMAINS_VIEWED,
        actor=actor,
        request=request,
        object_type="hotline.contentitem",
        detail={"items": item_ids},
    )


def assess_together(
    reports: list[Report],
    *,
    outcome: str,
    priority: str,
    category: str = "",
    notes: str = "",
    classification: Mapping[str, Any] | None = None,
    legal_basis: LegalBasis | None = None,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> tuple[list[Report], list[Report]]:
    """Assess every waiting report of a group (one item's or one domain's) with one outcome,
    priority and notes; ``category`` corrects them all, '' keeps each report's own.
    ``legal_basis`` goes with each report as ``assess`` keeps it (not for a CSAM one); an
    actionable non-CSAM report of the group needs it as a single one does.

    Each report goes through ``claim``/``assess`` and so through the status table, is audited
    on its own, and an actionable CSAM one waits for a second analyst as a single one does.
    Waiting reports (received or in assessment) held by nobody or by ``actor`` are taken;
    those held by a colleague are left alone, for a supervisor too (a colleague may be in the
    middle of one), as is one that someone takes or changes meanwhile. Duplicate is not an
    outcome here (``mark_duplicates_of_first``). One transaction: a refusal of the
    assessment itself (a missing classification or legal basis) changes nothing. Returns
    (assessed, left alone).
    """
    if outcome == Assessment.Outcome.DUPLICATE or outcome not in OUTCOME_STATUS:
        raise TriageRefused("transition", outcome)
    assessed: list[Report] = []
    skipped: list[Report] = []
    with transaction.atomic():
        for report in reports:
            if report.status not in (Status.RECEIVED, Status.IN_ASSESSMENT):
                continue
            if report.assignee_id not in (None, actor.pk):
                skipped.append(report)
                continue
            try:
                with transaction.atomic():
                    if report.assignee_id is None:
                        claim(report, actor=actor, request=request)
                    elif report.status == Status.RECEIVED:
                        transition(report, Status.IN_ASSESSMENT, actor=actor, request=request)
                    assess(
                        report,
                        outcome=outcome,
                        priority=priority,
                        category=category or report.category,
                        notes=notes,
                        classification=classification,
                        legal_basis=legal_basis,
                        actor=actor,
                        request=request,
                    )
            except TriageRefused as refused:
                if refused.code not in ("taken", "stale"):
                    raise
                skipped.append(report)
                continue
            assessed.append(report)
    return assessed, skipped


def mark_duplicates_of_first(
    item: ContentItem, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> tuple[Report, int, int]:
    """Assess every waiting report of ``item`` as a duplicate of the item's first report.

    The first report is the oldest one of the item, whatever its status. Waiting reports
    (received or in assessment) held by nobody or by ``actor`` are taken and assessed, each
    through ``claim``/``assess`` and so through the status table; those a colleague holds are
    left alone. All or nothing. Returns (first report, marked, left to colleagues).
    """
    reports = list(
        Report.objects.filter(reported_urls__content_item=item)
        .distinct()
        .order_by("received_at", "id")
    )
    if not reports:
        raise TriageRefused("empty")
    first, others = reports[0], reports[1:]
    marked = skipped = 0
    is_supervisor = actor.has_perm("hotline.assign_report")  # type: ignore[attr-defined]
    with transaction.atomic():
        for report in others:
            if report.status not in (Status.RECEIVED, Status.IN_ASSESSMENT):
                continue
            if report.assignee_id not in (None, actor.pk) and not is_supervisor:
                skipped += 1
                continue
            if report.assignee_id is None:
                claim(report, actor=actor, request=request)
            elif report.status == Status.RECEIVED:
                transition(report, Status.IN_ASSESSMENT, actor=actor, request=request)
            assess(
                report,
                outcome=Assessment.Outcome.DUPLICATE,
                priority=Assessment.Priority.NORMAL,
                category=report.category,
                duplicate_of=first,
                actor=actor,
                request=request,
            )
            marked += 1
    return first, marked, skipped


def _newest_waiting(report: Report) -> Assessment:
    newest = report.assessments.order_by("-created_at", "-id").first()
    if newest is None or not newest.needs_confirmation or newest.confirmed_by_id is not None:
        raise TriageRefused("not_waiting")
    return newest


def confirm(
    report: Report, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> Assessment:
    """A second analyst confirms the newest assessment (four eyes). Never the analyst who made
    it; after a disagreement, only a supervisor. One conditional UPDATE: confirmed once."""
    assessment = _newest_waiting(report)
    if assessment.analyst_id == actor.pk:
        raise TriageRefused("same_analyst")
    is_supervisor = actor.has_perm("hotline.assign_report")  # type: ignore[attr-defined]
    if assessment.disputed_by_id is not None and not is_supervisor:
        raise TriageRefused("disputed")
    with transaction.atomic():
        now = timezone.now()
        done = Assessment.objects.filter(pk=assessment.pk, confirmed_by__isnull=True).update(
            confirmed_by=actor, confirmed_at=now
        )
        if not done:
            raise TriageRefused("not_waiting")
        assessment.confirmed_by = actor  # type: ignore[assignment]
        assessment.confirmed_at = now
        _audit(
            TriageAction.CONFIRMED,
            report,
            actor=actor,
            request=request,
            detail={"assessment": assessment.pk},
        )
    return assessment


def dispute(
    report: Report, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> Assessment:
    """A second analyst disagrees with the newest assessment: it stays unconfirmed (nothing
    can be forwarded) until a supervisor confirms it or the report is assessed again."""
    assessment = _newest_waiting(report)
    if assessment.analyst_id == actor.pk:
        raise TriageRefused("same_analyst")
    with transaction.atomic():
        now = timezone.now()
        Assessment.objects.filter(pk=assessment.pk).update(disputed_by=actor, disputed_at=now)
        assessment.disputed_by = actor  # type: ignore[assignment]
        assessment.disputed_at = now
        _audit(
            TriageAction.DISPUTED,
            report,
            actor=actor,
            request=request,
            detail={"assessment": assessment.pk},
        )
    return assessment


# Questions for the usual gaps, written to the reporter (often a child) in the report's own
# language. The built-in texts: supervisors edit them (``HotlineSettings.questions``).
QUESTIONS = {
    "address": _(
        "Thank you for your report. Can you send us the exact web address where you saw it? "
        "It starts with https://"
    ),
    "where": _(
        "Thank you for your report. Where on the page is it: in a post, a comment, a picture "
        "or a message?"
    ),
    "when": _("Thank you for your report. When did you see it? The day and the time are enough."),
    "account": _("Thank you for your report. What is the name of the account that posted it?"),
}


def builtin_question(key: str, language: str) -> str:
    """The built-in text of a question of ``QUESTIONS`` in ``language``."""
    with translation.override(language):
        return str(QUESTIONS[key])


def question_text(key: str, language: str) -> str:
    """A question of ``QUESTIONS`` in ``language`` (the report's), '' for an unknown key: the
    supervisors' text where they edited it ("sr" is their "sr-latn" text in Cyrillic), the
    built-in translation otherwise."""
    if key not in QUESTIONS:
        return ""
    edited = selectors.hotline_settings().questions.get(key, {})
    if language == "sr" and edited.get("sr-latn"):
        return latin_to_cyrillic(edited["sr-latn"])
    if edited.get(language):
        return edited[language]
    return builtin_question(key, language)


def ask_reporter(
    report: Report, *, text: str, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> Any:
    """Ask the reporter for what is missing: the message appears on their receipt page and the
    report waits in *needs information*. By the holder of the report or a supervisor."""
    from sigurnet.hotline.services import add_hotline_message

    if not allowed(report.status, Status.NEEDS_INFO):
        raise TriageRefused("transition")
    if report.assignee_id != actor.pk and not actor.has_perm("hotline.assign_report"):  # type: ignore[attr-defined]
        raise TriageRefused("not_yours")
    with transaction.atomic():
        transition(report, Status.NEEDS_INFO, actor=actor, request=request)
        message = add_hotline_message(report, text=text.strip(), author_id=actor.pk)
        _email_reporter(report, message, kind=MAIL_QUESTION)
        _audit(
            TriageAction.REPORTER_ASKED,
            report,
            actor=actor,
            request=request,
            detail={"message": message.pk},
        )
    return message


def save_settings(
    *,
    targets: Mapping[str, selectors.Target],
    reveal_break_after: int,
    four_eyes_for_csam: bool,
    questions: Mapping[str, Mapping[str, str]],
    non_working_days: Collection[date] | None = None,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> list[str]:
    """A supervisor's new settings; returns the names of what changed (audited as
    ``hotline.settings_changed`` with the old and new values, nothing when nothing changed).

    Every category keeps a target (a missing one stays as it is). A question text equal to the
    built-in translation is not stored, so that a corrected translation reaches it.
    ``non_working_days`` is the list the settings page shows (``working_time.listed_days``:
    this year's and next year's, and days added for later years) as the supervisor wants it,
    None to leave it; it is stored as changes to the built-in public holidays (audited with
    the days added and removed), so that the next years' holidays still come by themselves.
    """
    if not actor.has_perm("hotline.change_hotlinesettings"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")
    if reveal_break_after < 1 or any(t.hours < 1 for t in targets.values()):
        raise ValueError("targets and the break reminder are at least 1")
    with transaction.atomic():
        # The row with the model's defaults means the same as no row; made first so that two
        # supervisors saving at once queue on its lock instead of both inserting it.
        HotlineSettings.objects.get_or_create(pk=1)
        row = HotlineSettings.objects.select_for_update().get(pk=1)
        before = selectors.resolve_settings(row)
        new_targets = {
            category: targets.get(category) or before.target(category)
            for category in Category.values
        }
        stored_questions: dict[str, dict[str, str]] = {}
        for key in QUESTIONS:
            for language in selectors.QUESTION_LANGUAGES:
                text = (questions.get(key, {}).get(language) or "").strip()
                if text and text != builtin_question(key, language).strip():
                    stored_questions.setdefault(key, {})[language] = text
        detail: dict[str, Any] = {}
        for category in Category.values:
            old, new = before.target(category), new_targets[category]
            if old != new:
                detail[f"target.{category}"] = {
                    "from": [old.hours, old.working_days],
                    "to": [new.hours, new.working_days],
                }
        if before.reveal_break_after != reveal_break_after:
            detail["reveal_break_after"] = {
                "from": before.reveal_break_after,
                "to": reveal_break_after,
            }
        if before.four_eyes_for_csam != four_eyes_for_csam:
            detail["four_eyes_for_csam"] = {
                "from": before.four_eyes_for_csam,
                "to": four_eyes_for_csam,
            }
        stored_days = row.non_working_days
        if non_working_days is not None:
            from sigurnet.core.selectors import get_profile

            current = working_time.WorkingCalendar(
                get_profile().country, *working_time.parse_stored(row.non_working_days)
            )
            stored_days, added, removed = working_time.changes_for(
                current, non_working_days, timezone.localdate()
            )
            if added or removed:
                detail["non_working_days"] = {
                    "added": [d.isoformat() for d in added],
                    "removed": [d.isoformat() for d in removed],
                }
            else:
                stored_days = row.non_working_days
        for key in QUESTIONS:
            for language in selectors.QUESTION_LANGUAGES:
                old_text = before.questions.get(key, {}).get(language, "")
                if old_text != stored_questions.get(key, {}).get(language, ""):
                    detail[f"question.{key}.{language}"] = "edited"
        if not detail:
            return []
        row.target_times = {
            category: {"hours": t.hours, "working_days": t.working_days}
            for category, t in new_targets.items()
        }
        row.reveal_break_after = reveal_break_after
        row.four_eyes_for_csam = four_eyes_for_csam
        row.questions = stored_questions
        row.non_working_days = stored_days
        row.updated_by = actor  # type: ignore[assignment]
        row.save()
        record_audit_event(
            TriageAction.SETTINGS_CHANGED,
            actor=actor,
            request=request,
            object_type="hotline.hotlinesettings",
            object_id=1,
            detail=detail,
        )
        transaction.on_commit(selectors.forget_hotline_settings)
    selectors.forget_hotline_settings()
    return sorted(detail)


# --- E-mail to the reporter, and feedback -------------------------------------------------
# A question or feedback reaches the reporter by e-mail only where they gave an address and
# agreed to be contacted (for an e-mailed report: the sender, see ``email_intake``). The e-mail
# carries the hotline's text and the reference, and says how to answer; never the description,
# the addresses or anything else the reporter sent.

MAIL_QUESTION = "hotline.reporter_question"
MAIL_FEEDBACK = "hotline.reporter_feedback"


def reporter_address(report: Report) -> str:
    """Where an e-mail to the reporter goes, '' when it may not go anywhere."""
    if not report.contact_consent or not report.reference:
        return ""
    return (report.contact_email or "").strip()


def reporter_mail_key(message_id: int) -> str:
    """The outbox key of the e-mail that carries hotline message ``message_id``: one each."""
    return f"hotline.reporter_mail:{message_id}"


def _news_notice_mail(report: Report) -> tuple[str, str]:
    """Subject and body of the notice that news waits, for a reporter who asked for no content:
    no text, no reference, nothing about the report. In the report's language."""
    from django.conf import settings
    from django.urls import reverse

    from sigurnet.core.selectors import get_profile

    profile = get_profile()
    with translation.override(report.language or settings.LANGUAGE_CODE):
        url = settings.SIGURNET_PUBLIC_BASE_URL.rstrip("/") + reverse("report-status")
        subject = str(_("There is a new message for you"))
        paragraphs = [
            str(_("Hello,")),
            _(
                "There is a new message for you. To read it, open this page and type your "
                "receipt code: %(url)s"
            )
            % {"url": url},
            profile.centre_name or "Sigurnet",
        ]
    return subject, "\n\n".join(paragraphs) + "\n"


def _reporter_mail(report: Report, text: str, *, kind: str) -> tuple[str, str]:
    """Subject and body of the e-mail that carries ``text``, in the report's language."""
    from django.conf import settings
    from django.urls import reverse

    from sigurnet.core.selectors import get_profile

    profile = get_profile()
    with translation.override(report.language or settings.LANGUAGE_CODE):
        values = {
            "reference": report.reference or "",
            "centre": profile.centre_name or "Sigurnet",
            "url": settings.SIGURNET_PUBLIC_BASE_URL.rstrip("/") + reverse("report-status"),
        }
        if kind == MAIL_QUESTION:
            subject = _("A question about your report %(reference)s") % values
            opening = _("We have a question about your report %(reference)s:") % values
        else:
            subject = _("News about your report %(reference)s") % values
            opening = _("We have news about your report %(reference)s:") % values
        paragraphs = [
            str(_("Hello,")),
            opening,
            text.strip(),
            _(
                "To answer, reply to this e-mail and keep %(reference)s in the subject. Or "
                "answer on your receipt page with your receipt code: %(url)s"
            )
            % values,
            str(_("Please do not send us pictures or videos of abuse.")),
            values["centre"],
        ]
    return subject, "\n\n".join(paragraphs) + "\n"


def _email_reporter(report: Report, message: Any, *, kind: str) -> bool:
    """Write the e-mail that carries hotline ``message`` to the outbox, in the caller's
    transaction, if the reporter may be written to. Whether it did."""
    from sigurnet.core import outbox
    from sigurnet.core.selectors import get_profile

    address = reporter_address(report)
    if not address:
        return False
    if report.news_notice:
        subject, body = _news_notice_mail(report)
    else:
        subject, body = _reporter_mail(report, message.body, kind=kind)
    hotline_email = get_profile().hotline_email
    outbox.enqueue(
        kind=kind,
        key=reporter_mail_key(message.pk),
        to=[address],
        subject=subject,
        body=body,
        reply_to=[hotline_email] if hotline_email else [],
        # Written by a person, sent by the platform: auto-responders (out of office) should not
        # answer it, or their reply would look like the reporter's answer.
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    return True


# Feedback for the usual outcomes, to the reporter (often a child) in the report's language.
FEEDBACK = {
    "received": _(
        "Thank you for your report. We received it and our analysts are checking it. We will "
        "write here again when we know more."
    ),
    "forwarded": _(
        "Thank you for your report. We checked it and passed it on to those who can act: the "
        "police, a hotline in another country or the service where it was posted."
    ),
    "removed": _(
        "Thank you for your report. What you reported has been removed. You helped make the "
        "internet safer."
    ),
    "not_illegal": _(
        "Thank you for your report. We checked it carefully. It is not against the law, so we "
        "cannot have it removed. It can still hurt or worry you."
    ),
}
# The templates that end with the helpline's offer.
FEEDBACK_WITH_HELPLINE = frozenset({"not_illegal"})


def helpline_offer() -> str:
    """The helpline's offer in the active language, with its phone and hours from the profile."""
    from sigurnet.core import opening_hours
    from sigurnet.core.selectors import get_profile

    profile = get_profile()
    hours = opening_hours.OpeningHours.of(profile)
    when = " ".join(
        line.rstrip(".") + "." for line in (opening_hours.describe(hours) if hours else [])
    )
    if profile.helpline_hours:
        when = f"{when} {profile.helpline_hours}".strip()
    if profile.helpline_phone:
        offer = _("If you want to talk about it, call our helpline: %(phone)s.") % {
            "phone": profile.helpline_phone
        }
    else:
        offer = str(_("If you want to talk about it, our helpline is there for you."))
    return f"{offer} {when}".strip()


def feedback_text(key: str, language: str) -> str:
    """A template of ``FEEDBACK`` in ``language`` (the report's), '' for an unknown key."""
    if key not in FEEDBACK:
        return ""
    with translation.override(language):
        text = str(FEEDBACK[key])
        if key in FEEDBACK_WITH_HELPLINE:
            text = f"{text} {helpline_offer()}"
    return text


def send_feedback(
    report: Report, *, text: str, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> Any:
    """Tell the reporter how their report went: a message on their receipt page and, where
    they agreed to be contacted, an e-mail. The status does not change. By the holder of the
    report or a supervisor, as asking is."""
    from sigurnet.hotline.services import add_hotline_message

    if report.assignee_id != actor.pk and not actor.has_perm("hotline.assign_report"):  # type: ignore[attr-defined]
        raise TriageRefused("not_yours")
    text = text.strip()
    if not text:
        raise TriageRefused("text")
    with transaction.atomic():
        message = add_hotline_message(report, text=text, author_id=actor.pk)
        emailed = _email_reporter(report, message, kind=MAIL_FEEDBACK)
        _audit(
            TriageAction.FEEDBACK_SENT,
            report,
            actor=actor,
            request=request,
            detail={"message": message.pk, "emailed": emailed},
        )
    return message


def add_legal_basis(
    *,
    code: str,
    title: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> LegalBasis:
    """A supervisor adds an article to the list of the centre's country, at its end (audited
    as ``hotline.legal_bases_changed``). The same article twice: ``TriageRefused("exists")``."""
    if not actor.has_perm("hotline.change_hotlinesettings"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")
    from sigurnet.core.selectors import get_profile

    country = get_profile().country.upper()
    with transaction.atomic():
        if LegalBasis.objects.filter(country=country, code=code).exists():
            raise TriageRefused("exists")
        last = LegalBasis.objects.filter(country=country).order_by("-order").first()
        basis = LegalBasis.objects.create(
            country=country, code=code, title=title, order=(last.order + 10 if last else 10)
        )
        _audit_legal_basis(basis, "added", actor=actor, request=request)
    return basis


def change_legal_basis(
    basis: LegalBasis,
    *,
    action: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> None:
    """Deactivate, reactivate, or move a basis up or down in its country's list (audited).
    Old assessments keep a deactivated basis; the form no longer offers it."""
    if not actor.has_perm("hotline.change_hotlinesettings"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")
    with transaction.atomic():
        basis = LegalBasis.objects.select_for_update().get(pk=basis.pk)
        if action in ("deactivate", "activate"):
            basis.active = action == "activate"
            basis.save(update_fields=["active"])
        elif action in ("up", "down"):
            siblings = list(
                LegalBasis.objects.filter(country=basis.country).order_by("order", "id")
            )
            at = next(i for i, b in enumerate(siblings) if b.pk == basis.pk)
            other = at - 1 if action == "up" else at + 1
            if not 0 <= other < len(siblings):
                return
            siblings[at], siblings[other] = siblings[other], siblings[at]
            for position, sibling in enumerate(siblings, start=1):
                if sibling.order != position * 10:
                    LegalBasis.objects.filter(pk=sibling.pk).update(order=position * 10)
        else:
            raise ValueError(action)
        _audit_legal_basis(basis, action, actor=actor, request=request)


def _audit_legal_basis(
    basis: LegalBasis, change: str, *, actor: AbstractBaseUser, request: HttpRequest | None
) -> None:
    record_audit_event(
        TriageAction.LEGAL_BASES_CHANGED,
        actor=actor,
        request=request,
        object_type="hotline.legalbasis",
        object_id=str(basis.pk),
        detail={"change": change, "country": basis.country, "code": basis.code},
    )
