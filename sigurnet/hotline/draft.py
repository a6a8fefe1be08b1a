"""The web report in progress, kept in the session between steps - encrypted.

What a reporter types is stored in the session only as ciphertext, so that neither the
session table nor Redis ever holds a description or URL in the clear. The draft is removed
when the report is sent.

No session is saved for a visitor who only looks at the first step: the time the form was first
shown (for the minimum fill time) travels in a signed hidden field instead, and the draft is
created when the first step is sent.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core import signing
from django.http import HttpRequest

from sigurnet.core import crypto

DRAFT_KEY = "hotline_report_draft"
DONE_KEY = "hotline_report_done"
# Set when a draft or a confirmation could not be opened (sealed under a key that was removed
# from SIGURNET_DATA_KEYS, or damaged): the next page tells the reporter once, kindly.
LOST_KEY = "hotline_report_lost"
STEPS = ("what", "where", "details", "you")
START_SALT = "sigurnet.hotline.report-started"
# A start token older than this is ignored (the clock then starts when step 1 is sent), so
# that one token fetched long ago cannot be replayed to skip the minimum fill time for ever.
START_TOKEN_MAX_SECONDS = 3600


def _new() -> dict[str, Any]:
    # "steps": what was typed at each step (kept even when wrong); "valid": steps that passed.
    return {"started_at": time.time(), "steps": {}, "valid": []}


def load(request: HttpRequest) -> dict[str, Any]:
    """The reporter's draft, or a new one. Reading never creates a session."""
    sealed = request.session.get(DRAFT_KEY)
    if not sealed:
        return _new()
    try:
        data: dict[str, Any] = json.loads(crypto.decrypt(sealed))
    except (crypto.DecryptionError, ValueError):
        # Never an error page: start again, and say so on the first step.
        request.session.pop(DRAFT_KEY, None)
        request.session[LOST_KEY] = True
        return _new()
    return data


def take_lost(request: HttpRequest) -> bool:
    """Whether earlier answers were lost since the last time this was asked."""
    if LOST_KEY not in request.session:
        return False
    return bool(request.session.pop(LOST_KEY))


def save(request: HttpRequest, draft: dict[str, Any]) -> None:
    request.session[DRAFT_KEY] = crypto.encrypt(json.dumps(draft))


def clear(request: HttpRequest) -> None:
    request.session.pop(DRAFT_KEY, None)


def start_token() -> str:
    """A signed, timestamped token for the first step's hidden field."""
    return signing.TimestampSigner(salt=START_SALT).sign("report")


def started_at(token: str) -> float:
    """When the form was first shown, from its token; now if the token is missing or not ours."""
    signer = signing.TimestampSigner(salt=START_SALT)
    try:
        signer.unsign(token, max_age=START_TOKEN_MAX_SECONDS)
        _value, stamp, _signature = token.rsplit(signer.sep, 2)
        return float(signing.b62_decode(stamp))
    except (signing.BadSignature, ValueError):
        return time.time()


def step_data(draft: dict[str, Any], step: str) -> dict[str, Any] | None:
    data: dict[str, Any] | None = draft["steps"].get(step)
    return data


def first_missing_step(draft: dict[str, Any], until: str | None = None) -> str | None:
    """The first step not yet completed before ``until`` (or at all)."""
    valid = draft.get("valid", [])
    for step in STEPS:
        if step == until:
            return None
        if step not in valid:
            return step
    return None


def remember_done(request: HttpRequest, *, reference: str, receipt: str, category: str) -> None:
    request.session[DONE_KEY] = crypto.encrypt(
        json.dumps({"reference": reference, "receipt": receipt, "category": category})
    )


def load_done(request: HttpRequest) -> dict[str, Any] | None:
    """The confirmation's data, the receipt included until the reporter has said they saved it.

    The receipt lives only in this browser's session (encrypted): another session never sees
    it. ``{"lost": True}`` when it was sealed under a key that is gone.
    """
    sealed = request.session.get(DONE_KEY)
    if not sealed:
        return None
    try:
        data: dict[str, Any] = json.loads(crypto.decrypt(sealed))
    except (crypto.DecryptionError, ValueError):
        return {"lost": True}
    return data


def forget_receipt(request: HttpRequest) -> None:
    """The reporter has kept the code: stop showing it (the reference stays)."""
    data = load_done(request)
    if data is None or data.get("lost"):
        return
    request.session[DONE_KEY] = crypto.encrypt(json.dumps({**data, "receipt": ""}))
