"""Queue outgoing messages in the caller's transaction; the scheduler delivers them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.models import OutboxMessage


def enqueue(session: Session, *, channel: str, dedupe_key: str, payload: dict, openid: str | None = None,
            source: str | None = None, not_before: dt.datetime | None = None) -> OutboxMessage:
    """Add one message unless its dedupe key exists already (idempotent for retried work)."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    row = OutboxMessage(channel=channel, dedupe_key=dedupe_key[:200], payload=payload, openid=openid,
                        source=source, next_attempt_at=not_before or utcnow())
    session.add(row)
    session.flush()
    return row


def enqueue_text(session: Session, openid: str, text: str, dedupe_key: str, source: str | None = None):
    """A customer-service text message (only inside the resident's 48-hour window)."""
    return enqueue(session, channel="custom", dedupe_key=dedupe_key, openid=openid, source=source,
                   payload={"msgtype": "text", "text": {"content": text}})
