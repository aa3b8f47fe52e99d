"""Processes one inbound message: dedup, one transaction, routing, state, message log."""
from __future__ import annotations

import logging
import time

from sqlalchemy.exc import IntegrityError

from bot import dispatch
from bot.context import Ctx
from bot.db import utcnow
from bot.inbound import Inbound
from bot.models import ConversationState, Follower, InboundSeen, MessageLog
from bot.pii import scrub, scrub_all
from bot.reply import Reply

log = logging.getLogger(__name__)
RETRY_WAIT_SECONDS = 3.0
SYSTEM_EVENTS = {"masssendjobfinish", "templatesendjobfinish"}  # delivery reports, not residents  # a retry waits this long for the first delivery's answer


def apology(services) -> Reply:
    way_out = services.local_facts().way_out()
    return Reply(text=f"抱歉，系统刚才出了点问题，请稍后再发一次。\n{way_out}",
                 meta={"route": "error", "kind": "fallback"})


def process(services, msg: Inbound) -> Reply:
    """Return the reply for msg; a re-delivery returns the first reply and changes nothing."""
    started = time.perf_counter()
    if not _claim(services, msg):
        return _replay(services, msg)
    try:
        with services.sessions.begin() as session:
            reply = _handle(services, session, msg)
            _finish(session, msg, reply, started)
        return reply
    except Exception:
        log.exception("handler failed for %s (%s)", msg.dedup_key, msg.msg_type)
        reply = apology(services)
        with services.sessions.begin() as session:
            _finish(session, msg, reply, started, status="failed")
        return reply


def _claim(services, msg: Inbound) -> bool:
    """Insert the dedup key in its own committed transaction so every worker sees it."""
    try:
        with services.sessions.begin() as session:
            session.add(InboundSeen(dedup_key=msg.dedup_key, openid=msg.openid))
        return True
    except IntegrityError:
        return False


def _replay(services, msg: Inbound) -> Reply:
    deadline = time.monotonic() + RETRY_WAIT_SECONDS
    while True:
        with services.sessions() as session:
            seen = session.get(InboundSeen, msg.dedup_key)
            if seen is not None and seen.status != "processing" and seen.reply:
                log.info("re-delivery of %s answered from the first reply", msg.dedup_key)
                return Reply.from_dict(seen.reply)
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


def _finish(session, msg: Inbound, reply: Reply, started: float, status: str = "done") -> None:
    if reply.meta and reply.meta.get("explain"):  # the question as asked: stored twice below
        reply.meta["explain"] = scrub_all(reply.meta["explain"])
    seen = session.get(InboundSeen, msg.dedup_key)
    if seen is not None:
        seen.status, seen.reply = status, reply.to_dict()
    meta = reply.meta or {}
    msg_type = f"event:{msg.event}" if msg.is_event else msg.msg_type
    # Residents type ID and phone numbers anywhere; the log staff read never keeps them whole.
    text = scrub(msg.text or (msg.event_key if msg.is_event else ""))
    session.add(MessageLog(
        openid=msg.openid, msg_type=msg_type[:32], text=text[:2000], route=meta.get("route"),
        kind=meta.get("kind"), topic=meta.get("topic"), score=meta.get("score"),
        latency_ms=int((time.perf_counter() - started) * 1000), detail=meta.get("explain")))
