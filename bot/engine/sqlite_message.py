"""SQLite: one message, two transactions (bot.engine.inbox runs it; PostgreSQL: bot.engine.pg_message).

The claim commits first, in a transaction of its own with the callback's nonce, so every worker sees
it and a retry never queues for SQLite's one write lock behind the delivery it duplicates. Handling
runs in a second transaction, which finishes the claim only while it still holds it: a worker whose
lease expired and was taken over by a re-delivery rolls back (LeaseLost).
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import time

from sqlalchemy import bindparam, insert, or_, update

from bot.db import insert_ignore, utcnow
from bot.db_limits import begin_bounded, is_outage
from bot.engine.handle import apology, finish_values, handle
from bot.models import InboundSeen, MessageLog
from bot.wechat.inbound import Inbound
from bot.wechat.protocol import remember_nonce
from bot.wechat.reply import Reply

log = logging.getLogger(__name__)

# The hot path's statements, built once (building and cache-keying them costs more than running them).
_TAKE_OVER = update(InboundSeen).where(
    InboundSeen.dedup_key == bindparam("p_key"), InboundSeen.status == "processing",
    or_(InboundSeen.claimed_until.is_(None), InboundSeen.claimed_until < bindparam("p_now")),
).values(claimed_until=bindparam("p_until"), claim_token=bindparam("p_token"))
_FINISH = update(InboundSeen).where(
    InboundSeen.dedup_key == bindparam("p_key"), InboundSeen.claim_token == bindparam("p_token"),
    InboundSeen.status == "processing").values(status=bindparam("p_status"), reply=bindparam("p_reply"),
                                               claimed_until=None)
_LOG = insert(MessageLog)
_CLAIM = insert_ignore(InboundSeen, ("dedup_key",),
                       ("dedup_key", "openid", "status", "claimed_until", "claim_token", "created_at"))


class LeaseLost(Exception):
    """Another delivery took the message over after our lease expired: our work is rolled back."""


def begin(services):
    return begin_bounded(services.sessions)


def claim(services, msg: Inbound, nonce: tuple[str, str] | None, lease_seconds: float) -> str | None:
    """Insert the dedup key with a lease in its own committed transaction so every worker sees it;
    take over an existing claim whose lease expired. Returns our claim token, or None.

    The callback's nonce is remembered in the same transaction (one commit per message for both)."""
    token, now = secrets.token_hex(8), utcnow()
    until = now + dt.timedelta(seconds=lease_seconds)
    with begin(services) as session:
        if nonce is not None:
            remember_nonce(session, nonce, msg.dedup_key)
        conn = session.connection()
        fresh = conn.execute(_CLAIM, {
            "dedup_key": msg.dedup_key, "openid": msg.openid, "status": "processing", "claimed_until": until,
            "claim_token": token, "created_at": now}).first()
        if fresh is not None:
            return token
        taken = conn.execute(_TAKE_OVER, {"p_key": msg.dedup_key, "p_now": now, "p_until": until,
                                          "p_token": token}).rowcount
    if taken:
        log.warning("%s: the first delivery's lease expired; this re-delivery takes it over", msg.dedup_key)
    return token if taken else None


def run(services, msg: Inbound, token: str) -> Reply:
    """Handle a claimed msg in a transaction of its own; a failed handling stores the apology."""
    started = time.perf_counter()
    try:
        with begin(services) as session:
            reply = handle(services, session, msg)
            finish(session, msg, reply, started, token)
        return reply
    except LeaseLost:
        log.warning("%s was taken over by a re-delivery; this attempt rolled back", msg.dedup_key)
        return Reply(silent=True)
    except Exception as exc:
        if is_outage(exc):
            raise
        log.exception("handler failed for %s (%s)", msg.dedup_key, msg.msg_type)
    reply = apology(services)
    try:
        with begin(services) as session:
            finish(session, msg, reply, started, token, status="failed")
    except LeaseLost:
        return Reply(silent=True)
    return reply


def finish(session, msg: Inbound, reply: Reply, started: float, token: str | None = None,
           status: str = "done") -> None:
    values = finish_values(msg, reply, started, token, status)
    # Only the holder of the claim may finish it: a worker whose lease was taken over rolls back.
    conn = session.connection()
    owned = conn.execute(_FINISH, {"p_key": values["key"], "p_token": token, "p_status": status,
                                   "p_reply": values["reply"]})
    if owned.rowcount != 1:
        raise LeaseLost(msg.dedup_key)
    conn.execute(_LOG, {k: values[k] for k in _LOG_COLUMNS})


_LOG_COLUMNS = ("openid", "msg_type", "text", "route", "kind", "topic", "score", "latency_ms", "detail",
                "created_at")
