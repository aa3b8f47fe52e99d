"""Processes one inbound message: dedup with a lease, the claim and its replay, on either database.

PostgreSQL: claim and handling in one transaction (bot.engine.pg_message); SQLite: two
(bot.engine.sqlite_message). What handling does is in bot.engine.handle. A re-delivery of a message
still being handled waits for the first reply (_replay) or takes over a claim whose worker died.
"""
from __future__ import annotations

import logging
import secrets
import time

from bot.db import utcnow
from bot.db_limits import is_outage, message_sessions, wait_ms
from bot.engine import dispatch, resident_rows, sqlite_message
from bot.engine.handle import NotOurs, apology, finish_values, handle
from bot.models import InboundSeen
from bot.wechat.inbound import Inbound
from bot.wechat.protocol import BadSignature
from bot.wechat.reply import Reply

log = logging.getLogger(__name__)
RETRY_WAIT_SECONDS = 3.0  # a retry waits this long for the first delivery's answer
# WeChat re-delivers ~5 s apart: a retry after the lease takes over a claim whose worker died.
LEASE_SECONDS = 4.0
# webhook.py asks this module what an outage is (the same rule as here).
__all__ = ["DatabaseUnavailable", "LEASE_SECONDS", "RETRY_WAIT_SECONDS", "is_outage", "process"]


class DatabaseUnavailable(Exception):
    """The database is down, locked or too slow: answer so that WeChat re-delivers."""


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
                token = sqlite_message.claim(services, msg, nonce, LEASE_SECONDS) or ""
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


def _pg():
    """bot.engine.pg_message, imported with the first PostgreSQL message: it loads psycopg (9 MB of
    every worker's memory), which a county on SQLite never uses."""
    from bot.engine import pg_message  # why: psycopg is loaded only where PostgreSQL is used
    return pg_message


def _attempt(services, sessions, msg: Inbound, nonce=None, status: str = "done") -> Reply | None:
    """PostgreSQL: claim and handle msg in one transaction; None when another delivery has it."""
    pg_message, session = _pg(), sessions()
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
            pg_message.finish_and_commit(session, finish_values(msg, reply, time.perf_counter(), token, status))
            return reply
        return _run(services, msg, token, session)
    finally:
        session.close()


def _run(services, msg: Inbound, token: str, session=None) -> Reply:
    """Handle a claimed msg: in the claim's transaction (PostgreSQL) or in one of its own (SQLite)."""
    if session is not None:
        return _run_in(services, msg, token, session)
    return sqlite_message.run(services, msg, token)


def _run_in(services, msg: Inbound, token: str, session) -> Reply:
    """PostgreSQL: handle msg in the transaction that claimed it, and commit."""
    started, pg_message = time.perf_counter(), _pg()
    try:
        reply = handle(services, session, msg)
        updates = resident_rows.take_updates(session, session.info.pop("resident", ()))
        session.flush()  # what the handler wrote besides the resident's rows
        pg_message.finish_and_commit(session, finish_values(msg, reply, started, token), updates)
        session.commit()  # the transaction is committed already: this ends the session's
        return reply
    except NotOurs:
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
            elif token := sqlite_message.claim(services, msg, None, LEASE_SECONDS):
                return _run(services, msg, token)
        if time.monotonic() > deadline:
            return Reply(silent=True)  # first delivery still running: acknowledge with "success"
        time.sleep(0.1)


