"""Purges the message log and dedup keys after the retention period (a scheduler tick)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, null, update

from bot.db import utcnow
from bot.db_limits import begin_bounded
from bot.models import CallbackNonce, InboundSeen, MessageLog
from bot.safety.staff import purge_handled

log = logging.getLogger(__name__)
DEDUP_KEEP = dt.timedelta(days=2)  # WeChat retries within ~15 s; two days is plenty
# A stored reply only serves WeChat's re-deliveries (~15 s), and it may quote personal numbers.
REPLY_KEEP = dt.timedelta(hours=1)
DEDUP_KEY_KEEP = dt.timedelta(days=1)
NONCE_KEEP = dt.timedelta(minutes=10)  # longer than the ±5-minute timestamp window


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


def purge_inbound(sessions) -> dict[str, int]:
    """Drop stored replies after the retry window, dedup keys after a day, nonces after 10 minutes."""
    now = utcnow()
    with begin_bounded(sessions) as session:
        replies = session.execute(update(InboundSeen).where(
            InboundSeen.created_at < now - REPLY_KEEP, InboundSeen.reply.is_not(None)).values(
            reply=null())).rowcount
        keys = session.execute(delete(InboundSeen).where(
            InboundSeen.created_at < now - DEDUP_KEY_KEEP)).rowcount
        nonces = session.execute(delete(CallbackNonce).where(CallbackNonce.created_at < now - NONCE_KEEP)).rowcount
    return {"replies": replies, "dedup_keys": keys, "nonces": nonces}
