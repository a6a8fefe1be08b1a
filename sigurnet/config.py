"""Reading configuration from the environment, and the quick start's local secrets file."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def new_data_key() -> str:
    """A fresh 256-bit key in the form SIGURNET_DATA_KEYS and SIGURNET_INDEX_KEY expect."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def load_quickstart_secrets(var_dir: Path) -> dict[str, Any]:
    """Return the quick start's secrets, creating them once in ``var_dir`` (kept out of git).

    Only used with DEBUG on. The file is readable by its owner alone.
    """
    path = var_dir / "quickstart-secrets.json"
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    var_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SIGURNET_DATA_KEYS": new_data_key(),
        "SIGURNET_INDEX_KEY": new_data_key(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    return data
