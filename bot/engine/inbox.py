"""Processes one inbound message: dedup with a lease, one transaction, routing, state, message log."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import time

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout

from bot.engine import dispatch, pg_message
from bot.engine.context import Ctx
from bot.db import begin_bounded, insert_ignore, message_sessions, utcnow, wait_ms
from bot.wechat.inbound import Inbound
from bot.models import ConversationState, Follower, InboundSeen, MessageLog
from bot.privacy.pii import scrub, scrub_all
from bot.wechat.protocol import BadSignature, remember_nonce
from bot.wechat.reply import Reply

log = logging.getLogger(__name__)
RETRY_WAIT_SECONDS = 3.0  # a retry waits this long for the first delivery's answer
# WeChat re-delivers ~5 s apart: a retry after the lease takes over a claim whose worker died.
LEASE_SECONDS = 4.0
TOUCH_SLACK = dt.timedelta(minutes=1)  # follower.last_message_at: precise enough for a 48-hour window
EVENT_WINDOW_SLACK = dt.timedelta(seconds=5)  # last_event_at opens a window of one minute only
SYSTEM_EVENTS = {"masssendjobfinish", "templatesendjobfinish"}  # delivery reports, not residents


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
_LOAD = select(Follower, ConversationState).outerjoin(
    ConversationState, ConversationState.openid == Follower.openid).where(
    Follower.openid == bindparam("p_openid")).with_for_update(of=Follower)
_CLAIM = insert_ignore(InboundSeen, ("dedup_key",),
                       ("dedup_key", "openid", "status", "claimed_until", "claim_token", "created_at"))


class DatabaseUnavailable(Exception):
    """The database is down, locked or too slow: answer so that WeChat re-delivers."""


class LeaseLost(Exception):
    """Another delivery took the message over after our lease expired: our work is rolled back."""


def is_outage(exc: BaseException) -> bool:
    """Connection lost, server restarting, lock or statement timeout, pool exhausted."""
    return isinstance(exc, (OperationalError, InterfaceError, PoolTimeout))


def apology(services) -> Reply:
    way_out = services.local_facts().way_out()
    return Reply(text=f"抱歉，系统刚才出了点问题，请稍后再发一次。\n{way_out}",
                 meta={"route": "error", "kind": "fallback"})


def process(services, msg: Inbound, nonce: tuple[str, str] | None = None) -> Reply:
    """Return the reply for msg; a re-delivery returns the first reply and changes nothing.

    nonce: (nonce, timestamp) of the callback, remembered in the claim's transaction (bot.wechat.protocol).
    Raises DatabaseUnavailable when the database fails, so the caller can make WeChat retry.

    PostgreSQL: claim and handling in one transaction (bot.engine.pg_message). SQLite: the claim commits
    first, so a retry never queues for the one write lock behind the delivery it duplicates."""
    one_txn = message_sessions(services.sessions)
    token = None  # once our claim is committed, a second attempt keeps it (and its lease)
    for attempt in (1, 2):
        try:
            if one_txn is not None:
                dispatch.prefetch(services, msg)  # the matcher runs before the transaction's row lock
                reply = _attempt(services, one_txn, msg, nonce)
                return reply if reply is not None else _replay(services, msg, one_txn)
            if token is None:
                token = _claim(services, msg, nonce) or ""
                if token:
                    dispatch.prefetch(services, msg)  # the matcher runs before any write lock
            # Stale replies, keys and nonces are dropped by the scheduler (inbound.purge), never here.
            return _run(services, msg, token) if token else _replay(services, msg)
        except Exception as exc:
            # Without pre-ping a pooled connection may have died (PostgreSQL restarted): once more.
            if attempt == 1 and getattr(exc, "connection_invalidated", False):
                log.info("connection lost for %s: retrying once", msg.dedup_key)
                continue
            if is_outage(exc):
                raise DatabaseUnavailable(str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__) from exc
            raise
    raise AssertionError("unreachable")


def _attempt(services, sessions, msg: Inbound, nonce=None, status: str = "done") -> Reply | None:
    """PostgreSQL: claim and handle msg in one transaction; None when another delivery has it."""
    session = sessions()
    try:
        token = secrets.token_hex(8)
        claimed, nonce_new = pg_message.claim(session, msg.dedup_key, msg.openid, nonce, token, LEASE_SECONDS)
        if nonce is not None and not nonce_new:
            seen = pg_message.nonce_digest(session, nonce)
            if seen is not None and seen != pg_message.digest(msg.dedup_key):
                raise BadSignature("replayed signature with another message")
        if not claimed:
            session.commit()  # the nonce is remembered
            return None
        if status == "failed":  # a failed handling rolled back: the apology is stored under a new claim
            reply = apology(services)
            pg_message.finish_and_commit(session, _finish_values(msg, reply, time.perf_counter(), token, status))
            return reply
        return _run(services, msg, token, session)
    finally:
        session.close()


def _run(services, msg: Inbound, token: str, session=None) -> Reply:
    if session is not None:
        return _run_in(services, msg, token, session)
    started = time.perf_counter()
    try:
        with begin(services) as session:
            reply = _handle(services, session, msg)
            _finish(session, msg, reply, started, token)
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
            _finish(session, msg, reply, started, token, status="failed")
    except LeaseLost:
        return Reply(silent=True)
    return reply


def _run_in(services, msg: Inbound, token: str, session) -> Reply:
    """PostgreSQL: handle msg in the transaction that claimed it, and commit."""
    started = time.perf_counter()
    try:
        reply = _handle(services, session, msg)
        updates = pg_message.take_updates(session, session.info.pop("resident", ()))
        session.flush()  # what the handler wrote besides the resident's rows
        pg_message.finish_and_commit(session, _finish_values(msg, reply, started, token), updates)
        session.commit()  # the transaction is committed already: this ends the session's
        return reply
    except pg_message.NotOurs:
        session.rollback()
        log.warning("%s was taken over by a re-delivery; this attempt rolled back", msg.dedup_key)
        return Reply(silent=True)
    except Exception as exc:
        session.rollback()
        if is_outage(exc):
            raise
        log.exception("handler failed for %s (%s)", msg.dedup_key, msg.msg_type)
    reply = _attempt(services, message_sessions(services.sessions), msg, status="failed")
    return reply if reply is not None else apology(services)


def begin(services):
    return begin_bounded(services.sessions)


def _claim(services, msg: Inbound, nonce: tuple[str, str] | None = None) -> str | None:
    """Insert the dedup key with a lease in its own committed transaction so every worker sees it;
    take over an existing claim whose lease expired. Returns our claim token, or None.

    The callback's nonce is remembered in the same transaction (one commit per message for both)."""
    token, now = secrets.token_hex(8), utcnow()
    until = now + dt.timedelta(seconds=LEASE_SECONDS)
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


def _replay(services, msg: Inbound, one_txn=None) -> Reply:
    deadline = time.monotonic() + wait_ms(int(RETRY_WAIT_SECONDS * 1000)) / 1000
    while True:
        with (one_txn or services.sessions)() as session:
            seen = session.get(InboundSeen, msg.dedup_key)
        if seen is not None and seen.status != "processing":
            if seen.reply:
                log.info("re-delivery of %s answered from the first reply", msg.dedup_key)
                return Reply.from_dict(seen.reply)
            # Followed up already (lost), or the reply was purged after the retry window.
            return apology(services) if seen.status == "lost" else Reply(silent=True)
        if seen is None or seen.claimed_until is None or seen.claimed_until < utcnow():
            # The first worker died (or its claim vanished); on PostgreSQL it may still be running.
            if one_txn is not None:
                reply = _attempt(services, one_txn, msg)
                if reply is not None:
                    return reply
            elif token := _claim(services, msg):
                return _run(services, msg, token)
        if time.monotonic() > deadline:
            return Reply(silent=True)  # first delivery still running: acknowledge with "success"
        time.sleep(0.1)


def _handle(services, session, msg: Inbound) -> Reply:
    follower, state = _load(session, msg.openid)
    if follower is None:
        follower = Follower(openid=msg.openid, subscribed=True)
        if msg.event not in SYSTEM_EVENTS:  # mass-send reports come from WeChat's own account
            session.add(follower)
    now = utcnow()
    # Written only when a minute old: an UPDATE per message for a window of 48 hours (or 1 minute).
    if not msg.is_event:
        if _stale(follower.last_message_at, now):
            follower.last_message_at = now  # opens WeChat's 48-hour customer-service window
    elif msg.event in ("click", "scan", "subscribe"):
        if _stale(follower.last_event_at, now, EVENT_WINDOW_SLACK):
            follower.last_event_at = now  # opens a one-minute window (3 sends)
    if state is None:
        state = ConversationState(openid=msg.openid, data={}, options=[])
        if msg.event not in SYSTEM_EVENTS:
            session.add(state)
    session.info["resident"] = (follower, state)
    ctx = Ctx(msg=msg, session=session, services=services, state=state, follower=follower,
              text=msg.text.strip())
    reply = dispatch.dispatch(ctx)
    if reply.options:
        options = [list(o) for o in reply.options]
        if options != state.options:  # unchanged state is not written again
            state.options = options
    if ctx.notes and reply.text:
        reply.text = "\n".join(ctx.notes + [reply.text])
    return reply


def _stale(when: dt.datetime | None, now: dt.datetime, slack: dt.timedelta = TOUCH_SLACK) -> bool:
    return when is None or when < now - slack


def stored_reply(reply: Reply) -> dict:
    """What a re-delivery needs to answer the same (the explanation is in the message log, once)."""
    meta = {k: v for k, v in (reply.meta or {}).items() if k != "explain"}
    return {"text": reply.text, "articles": reply.articles, "transfer": reply.transfer, "silent": reply.silent,
            "options": reply.options, "meta": meta}


def _load(session, openid: str):
    """The resident and their conversation in one query (a follower row exists for nearly everyone).

    The follower row is locked: one resident's messages are handled one at a time (two taps on
    "确认" must not both see the flow's last step). SQLite's write lock does that anyway."""
    row = session.execute(_LOAD, {"p_openid": openid}).first()
    if row is not None:
        return row[0], row[1]
    return None, session.get(ConversationState, openid)


def _finish(session, msg: Inbound, reply: Reply, started: float, token: str | None = None,
            status: str = "done") -> None:
    values = _finish_values(msg, reply, started, token, status)
    # Only the holder of the claim may finish it: a worker whose lease was taken over rolls back.
    conn = session.connection()
    owned = conn.execute(_FINISH, {"p_key": values["key"], "p_token": token, "p_status": status,
                                   "p_reply": values["reply"]})
    if owned.rowcount != 1:
        raise LeaseLost(msg.dedup_key)
    conn.execute(_LOG, {k: values[k] for k in _LOG_COLUMNS})


_LOG_COLUMNS = ("openid", "msg_type", "text", "route", "kind", "topic", "score", "latency_ms", "detail",
                "created_at")


def _finish_values(msg: Inbound, reply: Reply, started: float, token: str | None, status: str = "done") -> dict:
    """The stored reply and the message log's row."""
    meta = reply.meta or {}
    explain = scrub_all(meta["explain"]) if meta.get("explain") else None  # the question as asked
    if explain is not None:
        meta["explain"] = explain
    msg_type = f"event:{msg.event}" if msg.is_event else msg.msg_type
    # Residents type ID and phone numbers anywhere; the log staff read never keeps them whole.
    text = scrub(msg.text or (msg.event_key if msg.is_event else ""))
    return {"key": msg.dedup_key, "token": token, "status": status, "reply": stored_reply(reply),
            "openid": msg.openid, "msg_type": msg_type[:32], "text": text[:2000], "route": meta.get("route"),
            "kind": meta.get("kind"), "topic": meta.get("topic"), "score": meta.get("score"),
            "latency_ms": int((time.perf_counter() - started) * 1000), "detail": explain, "created_at": utcnow()}
