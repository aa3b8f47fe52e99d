"""Shrinks tables that otherwise only grow: idle conversation state, long-gone followers, old sign-in rows.

A scheduler tick ("idle.purge", bot/scheduler/runner.py). A follower row goes only when the person unfollowed
longer ago than the log retention and nothing of theirs remains (registration, booking, waiting list,
job subscription, call task, urgent item, unsent message): those still need to know the person left.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, exists, select

from bot.admin.models import LoginThrottle, StaffSession
from bot.booking.models import Booking, Waitlist
from bot.calls.models import CallTask
from bot.db import utcnow
from bot.jobs.models import JobSubscription
from bot.models import ConversationState, Follower, OutboxMessage
from bot.people.models import Registration
from bot.safety.models import UrgentItem

log = logging.getLogger(__name__)
SIGN_IN_KEEP = dt.timedelta(days=2)  # throttle rows and console sessions: longer than any block or idle limit
# Rows that tie a person to the service.
HOLDERS = (Registration, Booking, Waitlist, JobSubscription, CallTask, UrgentItem)


def purge_idle_rows(sessions, settings, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    idle = now - dt.timedelta(minutes=settings.flow_timeout_minutes)
    gone_before = now - dt.timedelta(days=settings.log_retention_days)
    keeps = [exists().where(model.openid == Follower.openid) for model in HOLDERS]
    keeps.append(exists().where(OutboxMessage.openid == Follower.openid,
                                OutboxMessage.status.in_(("pending", "sending"))))
    with sessions.begin() as session:
        states = session.execute(delete(ConversationState).where(
            ConversationState.flow.is_(None), ConversationState.updated_at < idle)).rowcount
        stale = select(Follower.openid).where(Follower.subscribed.is_(False),
                                              Follower.unsubscribed_at < gone_before,
                                              *[~k for k in keeps])
        followers = session.execute(delete(Follower).where(Follower.openid.in_(stale))).rowcount
        sign_ins = _purge_sign_ins(session, now)
    counts = {"conversation_state": states, "follower": followers, "sign_in": sign_ins}
    if any(counts.values()):
        log.info("idle purge: %s", counts)
    return counts


def _purge_sign_ins(session, now: dt.datetime) -> int:
    old = now - SIGN_IN_KEEP
    done = session.execute(delete(StaffSession).where(StaffSession.last_seen < old)).rowcount
    ended = LoginThrottle.blocked_until.is_(None) | (LoginThrottle.blocked_until < now)
    return done + session.execute(delete(LoginThrottle).where(LoginThrottle.first_at < old, ended)).rowcount
