"""The one door for booking notices: bot.outbox.notify.notify (template when configured, else text).

Every call carries a dedupe key, so a retried tick or a re-run edit never sends twice. The fields
are short (a template value holds ≤ 20 characters); the text is the full message for residents.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.outbox.notify import notify

log = logging.getLogger(__name__)


def send(session: Session, openid: str, kind: str, fields: dict, dedupe_key: str, text: str, *,
         owed: str | None = None, ref: str | None = None) -> None:
    """Queue one notice in the caller's transaction (never calls WeChat here). `owed` (what it is)
    marks a message the resident must get: if WeChat cannot deliver it, staff get a call task."""
    fields = {k: str(v)[:20] for k, v in fields.items() if v not in (None, "")}
    notify(session, openid, kind, fields, dedupe_key=dedupe_key, text_fallback=text, source=f"booking:{kind}",
           owed=owed, owed_ref=ref)
    log.info("queued %s notice %s", kind, dedupe_key)
