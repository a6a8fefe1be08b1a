"""Logging filters, configured in ``settings.LOGGING`` (before any app is loaded: no models)."""

from __future__ import annotations

import logging
import re

# Link pages carry the token in their path. Django logs every answer of 400 and more with the
# path ("Not Found: /handover/<token>/"), and the CSRF check logs its refusals: this filter, on
# the console handler (settings.LOGGING), writes "/handover/[link]/" instead.
_TOKEN_IN_PATH = re.compile(r"/handover/[^/\s?#\"']+")


class RedactHandoverLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        if "/handover/" in message:
            record.msg = _TOKEN_IN_PATH.sub("/handover/[link]", message)
            record.args = ()
        return True
