"""PostgreSQL: one message, one transaction, about four round trips (bot.engine.inbox runs it).

1. BEGIN travels with the claim (a psycopg pipeline): remember the callback's nonce, take a
   transaction-level advisory lock on the message key without waiting, insert the dedup row.
2. The resident's follower and conversation rows, the follower locked (bot.engine.handle.load).
3. The handler's own writes, flushed (none for most messages).
4. The finish travels with COMMIT: the reply stored once, the message logged.

A retry of a message still being handled does not queue behind it: it misses the advisory lock and
polls for the first reply (bot.engine.inbox._replay). A worker that dies rolls its transaction back (the
server sees the socket close), claim included, so a retry claims the message afresh; one that hangs
is ended by idle_in_transaction_session_timeout and statement_timeout (bot.db_limits.message_sessions): that
is the lease. A row another scheme left 'processing' with an expired lease is taken over as before.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import psycopg
from sqlalchemy import Float, Integer, String, bindparam, text

from bot.db import UTCDateTime, utcnow
from bot.engine import raw_sql
from bot.engine.handle import NotOurs
from bot.models import CallbackNonce, InboundSeen, MessageLog

_CLAIM = """WITH lk AS (SELECT pg_try_advisory_xact_lock(hashtextextended(:dedup_key, 0)) AS got),{nonce}
c AS (INSERT INTO inbound_seen (dedup_key, openid, status, claimed_until, claim_token, created_at)
      SELECT :dedup_key, :openid, 'processing', :claimed_until, :claim_token, :created_at FROM lk WHERE lk.got
      ON CONFLICT (dedup_key) DO NOTHING RETURNING 1)
SELECT (SELECT got FROM lk), EXISTS (SELECT 1 FROM c), {nonce_new}"""
_NONCE = """
n AS (INSERT INTO callback_nonce (nonce, timestamp, message_digest, created_at)
      VALUES (:nonce, :timestamp, :digest, :created_at) ON CONFLICT (nonce, timestamp) DO NOTHING RETURNING 1),"""
_TYPES = [bindparam("dedup_key", type_=String), bindparam("openid", type_=String),
          bindparam("claimed_until", type_=UTCDateTime), bindparam("claim_token", type_=String),
          bindparam("created_at", type_=UTCDateTime)]
CLAIM = text(_CLAIM.format(nonce="", nonce_new="true")).bindparams(*_TYPES)
CLAIM_WITH_NONCE = text(_CLAIM.format(nonce=_NONCE, nonce_new="EXISTS (SELECT 1 FROM n)")).bindparams(
    *_TYPES, bindparam("nonce", type_=String), bindparam("timestamp", type_=String),
    bindparam("digest", type_=String))
TAKE_OVER = text("UPDATE inbound_seen SET claimed_until = :until, claim_token = :token WHERE dedup_key = :key "
                 "AND status = 'processing' AND (claimed_until IS NULL OR claimed_until < :now)").bindparams(
    bindparam("until", type_=UTCDateTime), bindparam("now", type_=UTCDateTime))
# Only the holder of the claim finishes it; otherwise 1/0 aborts the transaction before COMMIT runs.
_FINISH = """WITH f AS (UPDATE inbound_seen SET status = :status, reply = :reply, claimed_until = NULL
      WHERE dedup_key = :key AND claim_token = :token AND status = 'processing' RETURNING 1),{updates}
l AS (INSERT INTO message_log (openid, msg_type, text, route, kind, topic, score, latency_ms, detail, created_at)
      SELECT :openid, :msg_type, :text, :route, :kind, :topic, :score, :latency_ms, :detail, :created_at FROM f)
SELECT 1 / count(*) FROM f"""
_FINISH_TYPES = [bindparam("reply", type_=InboundSeen.__table__.c.reply.type), bindparam("score", type_=Float),
                 bindparam("latency_ms", type_=Integer),
                 bindparam("detail", type_=MessageLog.__table__.c.detail.type), bindparam("created_at", type_=UTCDateTime)]
_finishes: dict[tuple, object] = {}


def claim(session, dedup_key: str, openid: str, nonce: tuple[str, str] | None, token: str,
          lease_seconds: float) -> tuple[bool, bool]:
    """BEGIN and claim in one round trip. Returns (claimed, nonce_is_new); not claimed means another
    delivery holds or finished the message (the transaction stays open: the caller commits the nonce)."""
    now = utcnow()
    values = {"dedup_key": dedup_key, "openid": openid, "claimed_until": now + dt.timedelta(seconds=lease_seconds),
              "claim_token": token, "created_at": now}
    if nonce is not None:
        values.update(nonce=nonce[0], timestamp=nonce[1], digest=digest(dedup_key))
    [(got, fresh, nonce_new)] = execute(session, CLAIM if nonce is None else CLAIM_WITH_NONCE, values, begin=True)
    if got and not fresh:  # a row left 'processing' by a dead worker whose lease has run out
        fresh = session.execute(TAKE_OVER, {"key": dedup_key, "until": values["claimed_until"], "token": token,
                                            "now": now}).rowcount == 1
    return bool(got and fresh), bool(nonce_new)


def digest(dedup_key: str) -> str:
    return hashlib.sha256(dedup_key.encode("utf-8")).hexdigest()


def nonce_digest(session, nonce: tuple[str, str]) -> str | None:
    seen = session.get(CallbackNonce, nonce)
    return seen.message_digest if seen is not None else None


def finish_and_commit(session, values: dict, updates=()) -> None:
    """Store the reply, log the message and COMMIT in one round trip; NotOurs (rolled back) if the
    claim is not ours. updates: take_updates()'s, written by the same statement."""
    values = dict(values)
    shape = tuple((table.name, tuple(changed)) for table, _key, changed in updates)
    stmt = _finishes.get(shape)
    if stmt is None:
        parts, types = [], list(_FINISH_TYPES)
        for i, (table, key, changed) in enumerate(updates):
            if key is None:  # a new row
                names = ", ".join(changed)
                parts.append(f"\nu{i} AS (INSERT INTO {table.name} ({names}) VALUES "
                             f"({', '.join(f':u{i}_{c}' for c in changed)})),")
            else:
                sets = ", ".join(f"{c} = :u{i}_{c}" for c in changed)
                where = " AND ".join(f"{c} = :u{i}_{c}" for c in key)
                parts.append(f"\nu{i} AS (UPDATE {table.name} SET {sets} WHERE {where}),")
            types += [bindparam(f"u{i}_{c}", type_=table.c[c].type) for c in (*changed, *(key or ()))]
        stmt = _finishes[shape] = text(_FINISH.format(updates="".join(parts))).bindparams(*types)
    for i, (_table, key, changed) in enumerate(updates):
        values.update({f"u{i}_{c}": v for c, v in (*changed.items(), *(key or {}).items())})
    try:
        execute(session, stmt, values, commit=True)
    except psycopg.errors.DivisionByZero as exc:
        raise NotOurs(values["key"]) from exc


def execute(session, stmt, values: dict, *, begin: bool = False, commit: bool = False) -> list[tuple]:
    """Run one statement on the session's connection, with BEGIN before it or COMMIT after it in the
    same round trip. Parameters go through the columns' SQLAlchemy types, as in session.execute."""
    conn = session.connection()
    prepared = raw_sql.prepare(stmt, conn.dialect)
    raw = conn.connection.driver_connection
    try:
        with raw.pipeline():
            if begin:
                raw.execute("BEGIN")
            cursor = raw.execute(prepared.sql, prepared.params(values))
            if commit:
                raw.execute("COMMIT")
        return cursor.fetchall()
    except psycopg.errors.DivisionByZero:
        raise
    except psycopg.Error as exc:
        raise raw_sql.translate(conn, exc, prepared.sql) from exc
