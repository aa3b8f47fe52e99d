"""Processes one inbound message: dedup with a lease, one transaction, routing, state, message log."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import time

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, TimeoutError as PoolTimeout

from bot import dispatch
from bot.context import Ctx
from bot.db import begin_bounded, utcnow, wait_ms
from bot.inbound import Inbound
from bot.models import ConversationState, Follower, InboundSeen, MessageLog
from bot.pii import scrub, scrub_all
from bot.reply import Reply

log = logging.getLogger(__name__)
RETRY_WAIT_SECONDS = 3.0  # a retry waits this long for the first delivery's answer
# WeChat re-delivers ~5 s apart: a retry after the lease takes over a claim whose worker died.
LEASE_SECONDS = 4.0
PURGE_EVERY_SECONDS = 60.0  # each worker also drops stale replies itself, should the scheduler be down
_last_purge = [0.0]
SYSTEM_EVENTS = {"masssendjobfinish", "templatesendjobfinish"}  # delivery reports, not residents


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


def process(services, msg: Inbound) -> Reply:
    """Return the reply for msg; a re-delivery returns the first reply and changes nothing.

    Raises DatabaseUnavailable when the database fails, so the caller can make WeChat retry."""
    try:
        token = _claim(services, msg)
        reply = _run(services, msg, token) if token else _replay(services, msg)
        _purge_now_and_then(services)
        return reply
    except Exception as exc:
        if is_outage(exc):
            raise DatabaseUnavailable(str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__) from exc
        raise


def _purge_now_and_then(services) -> None:
    if time.monotonic() - _last_purge[0] < PURGE_EVERY_SECONDS:
        return
    _last_purge[0] = time.monotonic()
    from bot.retention import purge_inbound
    try:
        purge_inbound(services.sessions)
    except Exception:  # never fail an answered message over housekeeping
        log.exception("purging stale inbound replies failed")


def _run(services, msg: Inbound, token: str) -> Reply:
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


def begin(services):
    return begin_bounded(services.sessions)


def _claim(services, msg: Inbound) -> str | None:
    """Insert the dedup key with a lease in its own committed transaction so every worker sees it;
    take over an existing claim whose lease expired. Returns our claim token, or None."""
    token, now = secrets.token_hex(8), utcnow()
    until = now + dt.timedelta(seconds=LEASE_SECONDS)
    try:
        with begin(services) as session:
            session.add(InboundSeen(dedup_key=msg.dedup_key, openid=msg.openid, claimed_until=until,
                                    claim_token=token))
        return token
    except IntegrityError:
        pass
    with begin(services) as session:
        taken = session.execute(update(InboundSeen).where(
            InboundSeen.dedup_key == msg.dedup_key, InboundSeen.status == "processing",
            or_(InboundSeen.claimed_until.is_(None), InboundSeen.claimed_until < now),
        ).values(claimed_until=until, claim_token=token)).rowcount
    if taken:
        log.warning("%s: the first delivery's lease expired; this re-delivery takes it over", msg.dedup_key)
    return token if taken else None


def _replay(services, msg: Inbound) -> Reply:
    deadline = time.monotonic() + wait_ms(int(RETRY_WAIT_SECONDS * 1000)) / 1000
    while True:
        with services.sessions() as session:
            seen = session.get(InboundSeen, msg.dedup_key)
        if seen is not None and seen.status != "processing":
            if seen.reply:
                log.info("re-delivery of %s answered from the first reply", msg.dedup_key)
                return Reply.from_dict(seen.reply)
            # Followed up already (lost), or the reply was purged after the retry window.
            return apology(services) if seen.status == "lost" else Reply(silent=True)
        if seen is None or seen.claimed_until is None or seen.claimed_until < utcnow():
            token = _claim(services, msg)  # the first worker died (or its claim vanished)
            if token:
                return _run(services, msg, token)
        if time.monotonic() > deadline:
            return Reply(silent=True)  # first delivery still running: acknowledge with "success"
        time.sleep(0.1)


def _handle(services, session, msg: Inbound) -> Reply:
    follower = session.get(Follower, msg.openid)
    if follower is None:
        follower = Follower(openid=msg.openid, subscribed=True)
        if msg.event not in SYSTEM_EVENTS:  # mass-send reports come from WeChat's own account
            session.add(follower)
    if not msg.is_event:
        follower.last_message_at = utcnow()  # opens WeChat's 48-hour customer-service window
    elif msg.event in ("click", "scan", "subscribe"):
        follower.last_event_at = utcnow()  # opens a one-minute window (3 sends)
    state = session.get(ConversationState, msg.openid)
    if state is None:
        state = ConversationState(openid=msg.openid, data={}, options=[])
        if msg.event not in SYSTEM_EVENTS:
            session.add(state)
    ctx = Ctx(msg=msg, session=session, services=services, state=state, follower=follower,
              text=msg.text.strip())
    reply = dispatch.dispatch(ctx)
    if reply.options:
        state.options = [list(o) for o in reply.options]
    if ctx.notes and reply.text:
        reply.text = "\n".join(ctx.notes + [reply.text])
    return reply


def _finish(session, msg: Inbound, reply: Reply, started: float, token: str | None = None,
            status: str = "done") -> None:
    if reply.meta and reply.meta.get("explain"):  # the question as asked: stored twice below
        reply.meta["explain"] = scrub_all(reply.meta["explain"])
    # Only the holder of the claim may finish it: a worker whose lease was taken over rolls back.
    owned = session.execute(update(InboundSeen).where(
        InboundSeen.dedup_key == msg.dedup_key, InboundSeen.claim_token == token,
        InboundSeen.status == "processing").values(status=status, reply=reply.to_dict(), claimed_until=None))
    if owned.rowcount != 1:
        raise LeaseLost(msg.dedup_key)
    meta = reply.meta or {}
    msg_type = f"event:{msg.event}" if msg.is_event else msg.msg_type
    # Residents type ID and phone numbers anywhere; the log staff read never keeps them whole.
    text = scrub(msg.text or (msg.event_key if msg.is_event else ""))
    session.add(MessageLog(
        openid=msg.openid, msg_type=msg_type[:32], text=text[:2000], route=meta.get("route"),
        kind=meta.get("kind"), topic=meta.get("topic"), score=meta.get("score"),
        latency_ms=int((time.perf_counter() - started) * 1000), detail=meta.get("explain")))
