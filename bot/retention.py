"""Purges the message log and dedup keys after the retention period (a scheduler tick)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete

from bot.db import utcnow
from bot.models import InboundSeen, MessageLog
from bot.safety.staff import purge_handled

log = logging.getLogger(__name__)
DEDUP_KEEP = dt.timedelta(days=2)  # WeChat retries within ~15 s; two days is plenty


def purge_old_rows(sessions, retention_days: int) -> dict[str, int]:
    """Delete message-log rows older than retention_days and stale dedup keys; return counts."""
    now = utcnow()
    with sessions.begin() as session:
        logs = session.execute(delete(MessageLog).where(
            MessageLog.created_at < now - dt.timedelta(days=retention_days))).rowcount
        seen = session.execute(delete(InboundSeen).where(InboundSeen.created_at < now - DEDUP_KEEP)).rowcount
        urgent = purge_handled(session, retention_days)  # who/when/what stays, the resident's words go
    if logs or seen:
        log.info("retention: purged %d message-log rows and %d dedup keys", logs, seen)
    return {"message_log": logs, "inbound_seen": seen, "urgent_item_text": urgent}
