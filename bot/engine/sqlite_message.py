"""SQLite: one message, two transactions (bot.engine.inbox runs it; PostgreSQL: bot.engine.pg_message).

The claim commits first, in a transaction of its own with the callback's nonce, so every worker sees
it and a retry never queues for SQLite's one write lock behind the delivery it duplicates. Handling
runs in a second transaction, which finishes the claim only while it still holds it: a worker whose
lease expired and was taken over by a re-delivery rolls back (NotOurs).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import sqlite3
import time
from contextlib import contextmanager

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from bot.db import busy_pragma, insert_ignore, utcnow
from bot.db_limits import begin_bounded, is_outage, sqlite_turn
from bot.engine import raw_sql, resident_rows
from bot.engine.handle import NotOurs, apology, finish_values, handle
from bot.models import CallbackNonce, InboundSeen, MessageLog
from bot.wechat.inbound import Inbound
from bot.wechat.protocol import BadSignature
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
_CLAIM = insert_ignore(InboundSeen, ("dedup_key",),
                       ("dedup_key", "openid", "status", "claimed_until", "claim_token", "created_at"))
_NONCE = insert_ignore(CallbackNonce, ("nonce", "timestamp"), ("nonce", "timestamp", "message_digest", "created_at"))
_NONCE_DIGEST = select(CallbackNonce.message_digest).where(
    CallbackNonce.nonce == bindparam("p_nonce"), CallbackNonce.timestamp == bindparam("p_timestamp"))


def begin(services):
    return begin_bounded(services.sessions)


def claim(services, msg: Inbound, nonce: tuple[str, str] | None, lease_seconds: float) -> str | None:
    """Insert the dedup key with a lease in its own committed transaction so every worker sees it;
    take over an existing claim whose lease expired. Returns our claim token, or None.

    The callback's nonce is remembered in the same transaction (one commit per message for both); a
    nonce seen before with another message is a replayed signature (BadSignature). Straight on the
    driver (bot.engine.raw_sql): four statements that cost a quarter of a message through SQLAlchemy."""
    token, now = secrets.token_hex(8), utcnow()
    until = now + dt.timedelta(seconds=lease_seconds)
    with _raw_transaction(services) as execute:
        if nonce is not None:
            digest = hashlib.sha256(msg.dedup_key.encode("utf-8")).hexdigest()
            new = execute(_NONCE, {"nonce": nonce[0], "timestamp": nonce[1], "message_digest": digest,
                                   "created_at": now}).fetchone()
            if new is None:
                seen = execute(_NONCE_DIGEST, {"p_nonce": nonce[0], "p_timestamp": nonce[1]}).fetchone()
                if seen is not None and seen[0] != digest:
                    raise BadSignature("replayed signature with another message")
        fresh = execute(_CLAIM, {"dedup_key": msg.dedup_key, "openid": msg.openid, "status": "processing",
                                 "claimed_until": until, "claim_token": token, "created_at": now}).fetchone()
        if fresh is not None:
            return token
        taken = execute(_TAKE_OVER, {"p_key": msg.dedup_key, "p_now": now, "p_until": until,
                                     "p_token": token}).rowcount
    if taken:
        log.warning("%s: the first delivery's lease expired; this re-delivery takes it over", msg.dedup_key)
    return token if taken else None


@contextmanager
def _raw_transaction(services):
    """BEGIN IMMEDIATE … COMMIT on a pooled connection in this thread's writing turn; yields
    execute(stmt, values). Driver errors come out as SQLAlchemy's (is_outage knows them)."""
    engine = services.sessions.kw["bind"]
    with sqlite_turn(engine):
        pooled = engine.raw_connection()
        raw, sql = pooled.driver_connection, "BEGIN IMMEDIATE"
        try:
            if (pragma := busy_pragma(pooled.info)) is not None:
                raw.execute(pragma)
            raw.execute(sql)
            try:
                yield lambda stmt, values: raw_sql.execute(raw, engine.dialect, stmt, values)
                sql = "COMMIT"
                raw.execute(sql)
            except BaseException:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error, dialect=engine.dialect) from exc
        finally:
            pooled.close()


def run(services, msg: Inbound, token: str) -> Reply:
    """Handle a claimed msg in a transaction of its own; a failed handling stores the apology."""
    started = time.perf_counter()
    try:
        with begin(services) as session:
            reply = handle(services, session, msg)
            updates = resident_rows.take_updates(session, session.info.pop("resident", ()))
            finish(session, msg, reply, started, token)
            resident_rows.write(session, updates)  # after the finish: a lost lease has rolled back by then
        return reply
    except NotOurs:
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
    except NotOurs:
        return Reply(silent=True)
    return reply


def finish(session, msg: Inbound, reply: Reply, started: float, token: str | None = None,
           status: str = "done") -> None:
    values = finish_values(msg, reply, started, token, status)
    # Only the holder of the claim may finish it: a worker whose lease was taken over rolls back.
    conn = session.connection()  # straight on the driver, inside the session's transaction (bot.engine.raw_sql)
    owned = raw_sql.run(conn, _FINISH, {"p_key": values["key"], "p_token": token, "p_status": status,
                                        "p_reply": values["reply"]}).rowcount
    if owned != 1:
        raise NotOurs(msg.dedup_key)
    raw_sql.run(conn, _LOG, {k: values[k] for k in _LOG_COLUMNS})


_LOG_COLUMNS = ("openid", "msg_type", "text", "route", "kind", "topic", "score", "latency_ms", "detail",
                "created_at")
_LOG = insert(MessageLog).values({c: bindparam(c) for c in _LOG_COLUMNS})
