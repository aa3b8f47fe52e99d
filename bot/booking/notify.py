"""The one door for booking notices: bot.delivery.notify when installed, else a plain outbox text.

Every call carries a dedupe key, so a retried tick or a re-run edit never sends twice. The fields
are short (a template value holds ≤ 20 characters); the text is the full message for residents.
"""
from __future__ import annotations

import importlib
import logging

from sqlalchemy.orm import Session

from bot.outbox import enqueue_text

log = logging.getLogger(__name__)


def _delivery():
    try:
        return importlib.import_module("bot.delivery")
    except ModuleNotFoundError as exc:
        if exc.name != "bot.delivery":
            raise
        return None


def delivery_installed() -> bool:
    return getattr(_delivery(), "notify", None) is not None


def send(session: Session, openid: str, kind: str, fields: dict, dedupe_key: str, text: str) -> None:
    """Queue one notice in the caller's transaction (never calls WeChat here)."""
    delivery = _delivery()
    fields = {k: str(v)[:20] for k, v in fields.items() if v not in (None, "")}
    if delivery is not None and hasattr(delivery, "notify"):
        delivery.notify(session, openid, kind, fields, dedupe_key=dedupe_key, text_fallback=text)
    else:
        enqueue_text(session, openid, text, dedupe_key=dedupe_key, source=f"booking:{kind}")
    log.info("queued %s notice %s", kind, dedupe_key)
