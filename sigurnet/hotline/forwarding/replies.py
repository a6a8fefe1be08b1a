"""Replies to dispatches: an e-mail from the police, a host or a partner hotline that answers a
dispatch is kept with that dispatch (``DispatchReply``) for the analysts to read on its page.

The e-mail intake (``hotline/email_intake.py``) asks :func:`dispatch_replied_to` first, before
it considers a reply from a reporter or a new report: a message whose ``In-Reply-To`` or
``References`` name the Message-ID of mail sent for a dispatch belongs to that dispatch. Such
mail is

* the dispatch's own e-mail (``Dispatch.message_id``, kept with the dispatch for as long as the
  dispatch is, so a reply months later still finds it), and
* any outbox message whose key starts with ``hotline.dispatch`` and names the dispatch's id
  after the first colon: ``hotline.dispatch:<id>`` (the dispatch), ``hotline.dispatch_link:<id>:
  <version>`` (a new link), and whatever else the forwarding sends about a dispatch under that
  convention (reminders), for as long as the outbox keeps it (30 days).

A reply is never filed as a report (it quotes the dispatch: its addresses would become content
items of a report "from" the police), never answered (no acknowledgement: abuse desks answer
automatic mail with automatic mail), and changes nothing of the dispatch: an acknowledgement or
an outcome is the contact person's to record, through the signed link or the partner view. An
automatic answer (an abuse desk's ticket number, a bounce) is kept too, marked as automatic.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Max

from sigurnet.core.models import OutgoingMessage
from sigurnet.hotline.models import Dispatch, DispatchReply, Report

# Outbox keys of mail about one dispatch: "<prefix>...:<dispatch id>[:...]".
DISPATCH_KEY_PREFIX = "hotline.dispatch"


def _dispatch_id_of_key(key: str) -> int | None:
    kind, _colon, rest = key.partition(":")
    number = rest.split(":", 1)[0]
    if kind.startswith(DISPATCH_KEY_PREFIX) and number.isdigit():
        return int(number)
    return None


def dispatch_replied_to(message_ids: Sequence[str]) -> Dispatch | None:
    """The dispatch whose mail the first of ``message_ids`` that names one is (In-Reply-To
    first, then References newest first, as ``email_intake`` lists them); None if none does.
    Two queries at most."""
    if not message_ids:
        return None
    wanted = list(dict.fromkeys(message_ids))
    by_message_id: dict[str, int] = dict(
        Dispatch.objects.filter(message_id__in=wanted).values_list("message_id", "pk")
    )
    for message_id, key in OutgoingMessage.objects.filter(
        message_id__in=wanted, key__startswith=DISPATCH_KEY_PREFIX
    ).values_list("message_id", "key"):
        dispatch_id = _dispatch_id_of_key(key or "")
        if dispatch_id is not None:
            by_message_id.setdefault(message_id, dispatch_id)
    for message_id in wanted:
        if message_id in by_message_id:
            found = Dispatch.objects.filter(pk=by_message_id[message_id]).first()
            if found is not None:
                return found
    return None


def keep_reply(
    dispatch: Dispatch,
    *,
    raw: str,
    message_key: str,
    source: str,
    sender: str,
    subject: str,
    text: str,
    attachment_names: Sequence[str] = (),
    automatic: str = "",
) -> DispatchReply:
    """Keep one reply with ``dispatch`` (in the caller's transaction). ``raw`` is the original
    message, base64-encoded. Writes nothing else: no message goes out, the dispatch's status
    stays as it is."""
    recipient = (dispatch.recipient or "").strip().lower()
    return DispatchReply.objects.create(
        dispatch=dispatch,
        source=source[:200],
        message_id_index=message_key,
        sender=sender,
        from_recipient=bool(sender and recipient) and sender.strip().lower() == recipient,
        subject=subject,
        text=text,
        attachment_names="\n".join(attachment_names),
        automatic=automatic[:300],
        raw=raw,
    )


def replies_of(dispatch: Dispatch) -> list[DispatchReply]:
    """The replies kept with ``dispatch``, oldest first (their text decrypted; not the original
    message)."""
    return list(DispatchReply.objects.filter(dispatch=dispatch).defer("raw"))


def report_dispatches(report: Report) -> list[Dispatch]:
    """The dispatches of ``report``, oldest first, each annotated with ``reply_count`` and
    ``last_reply_at`` (for the report's page: a reply is read on its dispatch's page). One
    query; decrypts nothing."""
    return list(
        Dispatch.objects.filter(reports=report)
        .select_related("institution")
        .only(
            "pk",
            "kind",
            "status",
            "outcome",
            "due_at",
            "sent_at",
            "institution__name",
            "institution__country",
        )
        .annotate(reply_count=Count("replies"), last_reply_at=Max("replies__received_at"))
        .order_by("created_at", "id")
    )
