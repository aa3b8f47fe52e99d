"""The idle-purge tick: conversation_state and follower shrink, nothing a person still holds is lost."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from bot.scheduler import runner as sched
from bot.db import utcnow
from bot.jobs.models import JobSubscription
from bot.models import ConversationState, Follower, OutboxMessage


def run_idle_purge(settings) -> None:
    rt = sched.Runtime(settings)
    try:
        assert sched.run_tick(rt, rt.ticks["idle.purge"])  # declared like every other tick
    finally:
        rt.close()


def test_idle_conversation_state_without_a_flow_is_purged(settings, services, chat):
    for openid in ("o_idle", "o_busy", "o_fresh"):
        chat("你好", openid=openid)
    long_ago = utcnow() - dt.timedelta(minutes=settings.flow_timeout_minutes + 5)
    with services.sessions.begin() as s:
        s.execute(update(ConversationState).where(ConversationState.openid.in_(["o_idle", "o_busy"]))
                  .values(updated_at=long_ago))
        s.execute(update(ConversationState).where(ConversationState.openid == "o_busy")
                  .values(flow="booking", step="town", expires_at=long_ago))  # it owes a timeout note
    run_idle_purge(settings)
    with services.sessions() as s:
        assert set(s.scalars(select(ConversationState.openid))) == {"o_busy", "o_fresh"}
    assert "1." in chat("菜单", openid="o_idle").text  # the purged resident is served as before


def test_followers_gone_long_ago_holding_nothing_are_purged(settings, services, chat):
    gone_long = utcnow() - dt.timedelta(days=settings.log_retention_days + 1)
    with services.sessions.begin() as s:
        for openid in ("o_gone", "o_gone_sub", "o_gone_msg", "o_gone_recent"):
            recent = openid == "o_gone_recent"
            s.add(Follower(openid=openid, subscribed=False,
                           unsubscribed_at=utcnow() - dt.timedelta(days=3) if recent else gone_long))
        s.add(Follower(openid="o_here", subscribed=True))
        s.add(JobSubscription(openid="o_gone_sub", town="鳌江镇", keywords=""))
        s.add(OutboxMessage(dedupe_key="t1", channel="custom", openid="o_gone_msg", payload={}, status="pending"))
    run_idle_purge(settings)
    with services.sessions() as s:
        assert set(s.scalars(select(Follower.openid))) == {"o_gone_sub", "o_gone_msg", "o_gone_recent", "o_here"}
    chat.event("subscribe", openid="o_gone")  # following again starts afresh
    with services.sessions() as s:
        assert s.get(Follower, "o_gone").subscribed
