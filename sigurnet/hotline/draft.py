"""The web report in progress, kept in the session between steps - encrypted.

What a reporter types is stored in the session only as ciphertext, so that neither the
session table nor Redis ever holds a description or URL in the clear. The draft is removed
when the report is sent.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.http import HttpRequest

from sigurnet.core import crypto

DRAFT_KEY = "hotline_report_draft"
DONE_KEY = "hotline_report_done"
STEPS = ("what", "where", "details", "you")


def _new() -> dict[str, Any]:
    # "steps": what was typed at each step (kept even when wrong); "valid": steps that passed.
    return {"started_at": time.time(), "steps": {}, "valid": []}


def load(request: HttpRequest) -> dict[str, Any]:
    sealed = request.session.get(DRAFT_KEY)
    if not sealed:
        return _new()
    try:
        data: dict[str, Any] = json.loads(crypto.decrypt(sealed))
    except (crypto.DecryptionError, ValueError):
        return _new()
    return data


def save(request: HttpRequest, draft: dict[str, Any]) -> None:
    request.session[DRAFT_KEY] = crypto.encrypt(json.dumps(draft))


def clear(request: HttpRequest) -> None:
    request.session.pop(DRAFT_KEY, None)


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


def take_done(request: HttpRequest) -> dict[str, Any] | None:
    """The confirmation's data; the receipt is handed out once, then forgotten."""
    sealed = request.session.get(DONE_KEY)
    if not sealed:
        return None
    data: dict[str, Any] = json.loads(crypto.decrypt(sealed))
    shown = {**data, "receipt": ""}
    request.session[DONE_KEY] = crypto.encrypt(json.dumps(shown))
    return data
