"""The one door for booking notices: bot.delivery.notify (template when configured, else text).

Every call carries a dedupe key, so a retried tick or a re-run edit never sends twice. The fields
are short (a template value holds ≤ 20 characters); the text is the full message for residents.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.delivery import notify

log = logging.getLogger(__name__)


def send(session: Session, openid: str, kind: str, fields: dict, dedupe_key: str, text: str) -> None:
    """Queue one notice in the caller's transaction (never calls WeChat here)."""
    fields = {k: str(v)[:20] for k, v in fields.items() if v not in (None, "")}
    notify(session, openid, kind, fields, dedupe_key=dedupe_key, text_fallback=text, source=f"booking:{kind}")
    log.info("queued %s notice %s", kind, dedupe_key)
