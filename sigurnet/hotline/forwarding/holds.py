"""Police holds on notices: staff place one on a content item at the request of the police
(or of their own accord) and release it. While an item is held, the notice schedule
(``takedown.py``) lists it in no notice or reminder to a host or platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from sigurnet.core import handover
from sigurnet.core.models import Institution
from sigurnet.core.selectors import get_profile
from sigurnet.hotline.forwarding import selectors
from sigurnet.hotline.forwarding.takedown import NOTICE_KINDS, TakedownAction
from sigurnet.hotline.models import ContentItem, Dispatch, DispatchItem, ItemHold
from sigurnet.hotline.triage.services import TriageRefused

HOLD_NOTE_MAX_LENGTH = 1000


def _may_change(actor: AbstractBaseUser) -> None:
    if not actor.has_perm("hotline.change_dispatch"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")


def active_hold(item: ContentItem) -> ItemHold | None:
    return ItemHold.objects.filter(item=item, released_at=None).first()


def place_hold(
    item: ContentItem,
    *,
    actor: AbstractBaseUser,
    dispatch: Dispatch,
    requested_by: Institution | None = None,
    note: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> ItemHold:
    """Hold notices about ``item`` (asked by ``requested_by``, usually the police): from now
    no notice or reminder to a host or platform lists it, until ``release_hold``. Refused
    (``TriageRefused``): "permission", "held" (it is held already), "note" (too long).
    Audited on ``dispatch``, the page it was placed from."""
    _may_change(actor)
    note = note.strip()
    if len(note) > HOLD_NOTE_MAX_LENGTH or "\x00" in note:
        raise TriageRefused("note")
    now = now or timezone.now()
    with transaction.atomic():
        list(ContentItem.objects.select_for_update().filter(pk=item.pk).values_list("pk"))
        if ItemHold.objects.filter(item=item, released_at=None).exists():
            raise TriageRefused("held")
        hold = ItemHold.objects.create(
            item=item,
            requested_by=requested_by,
            note=note,
            held_at=now,
            held_by=actor,  # type: ignore[misc]
        )
        handover.record_event(
            dispatch,
            TakedownAction.HELD,
            actor=actor,
            request=request,
            detail={
                "item": item.pk,
                "hold": hold.pk,
                "requested_by": requested_by.pk if requested_by else None,
            },
        )
    return hold


def release_hold(
    item: ContentItem,
    *,
    actor: AbstractBaseUser,
    dispatch: Dispatch,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> ItemHold:
    """Release the active hold on ``item``: notices list it again. A sent notice that never
    listed it has its next reminder due at once, so that the host is told with the next run
    (a waiting notice goes at its own time). Refused: "permission", "not_held". Audited."""
    _may_change(actor)
    now = now or timezone.now()
    with transaction.atomic():
        hold = ItemHold.objects.select_for_update().filter(item=item, released_at=None).first()
        if hold is None:
            raise TriageRefused("not_held")
        hold.released_at, hold.released_by = now, actor  # type: ignore[assignment]
        hold.save(update_fields=["released_at", "released_by"])
        untold = DispatchItem.objects.filter(content_item=item, notified_at__isnull=True).values(
            "dispatch_id"
        )
        Dispatch.objects.filter(
            Q(next_reminder_at__isnull=True) | Q(next_reminder_at__gt=now),
            pk__in=untold,
            kind__in=NOTICE_KINDS,
            status__in=(Dispatch.Status.SENT, Dispatch.Status.ACKNOWLEDGED),
            outcome="",
        ).update(next_reminder_at=now)
        handover.record_event(
            dispatch,
            TakedownAction.RELEASED,
            actor=actor,
            request=request,
            detail={"item": item.pk, "hold": hold.pk},
        )
    return hold


@dataclass(frozen=True)
class ItemRow:
    """One item of a dispatch for its page: what the schedule did with it, and its hold."""

    row: DispatchItem
    line: str
    hold: ItemHold | None


def item_rows(dispatch: Dispatch) -> list[ItemRow]:
    """The items of ``dispatch`` in order, each with its active hold (if any). Two queries."""
    rows = list(dispatch.dispatch_items.select_related("content_item").order_by("position", "id"))
    holds = {
        hold.item_id: hold
        for hold in ItemHold.objects.filter(
            item_id__in=[row.content_item_id for row in rows], released_at=None
        ).select_related("requested_by", "held_by")
    }
    return [
        ItemRow(row, selectors.item_line(row.content_item), holds.get(row.content_item_id))
        for row in rows
    ]


def hold_requesters() -> list[Institution]:
    """Who may be named as asking for a hold: active police units, prosecutor's offices and
    partner hotlines, at home first."""
    home = get_profile().country.upper()
    found = Institution.objects.filter(
        is_active=True,
        kind__in=[
            Institution.Kind.POLICE,
            Institution.Kind.PROSECUTOR,
            Institution.Kind.PARTNER_HOTLINE,
        ],
    ).order_by("country", "kind", "name")
    return sorted(found, key=lambda institution: institution.country.upper() != home)
