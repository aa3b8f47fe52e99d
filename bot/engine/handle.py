"""What one message does inside its transaction, on either database (bot.engine.inbox runs it): the
resident's rows, dispatch, the reply stored for re-deliveries and the message log's row."""
from __future__ import annotations

import datetime as dt
import time

from bot.db import utcnow
from bot.engine import dispatch
from bot.engine.context import Ctx
from bot.engine.resident_rows import load
from bot.models import ConversationState, Follower
from bot.privacy.pii import scrub, scrub_all
from bot.wechat.inbound import Inbound
from bot.wechat.reply import Reply

TOUCH_SLACK = dt.timedelta(minutes=1)  # follower.last_message_at: precise enough for a 48-hour window
EVENT_WINDOW_SLACK = dt.timedelta(seconds=5)  # last_event_at opens a window of one minute only
SYSTEM_EVENTS = {"masssendjobfinish", "templatesendjobfinish"}  # delivery reports, not residents


class NotOurs(Exception):
    """The finish found the claim held by another delivery (a re-delivery took over after our lease
    ran out): our transaction rolls back, nothing of this attempt is committed."""


def apology(services) -> Reply:
    way_out = services.local_facts().way_out()
    return Reply(text=f"抱歉，系统刚才出了点问题，请稍后再发一次。\n{way_out}",
                 meta={"route": "error", "kind": "fallback"})


def handle(services, session, msg: Inbound) -> Reply:
    follower, state = load(session, msg.openid)
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


def finish_values(msg: Inbound, reply: Reply, started: float, token: str | None, status: str = "done") -> dict:
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
