"""Decisions about one outbox row: which channel before sending, what to record after.

Pure functions over plain values (no DB, no network), so every rule is easy to test and to read.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from bot.outbox import notice_rules
from bot.outbox.config import DeliveryConfig, Template
from bot.outbox.state import (CANCELLED, FAILED, PENDING, SENT, UNKNOWN, Outcome,
                                resend_is_deduplicated)
from bot.outbox.enqueue import client_msg_id
from bot.wechat.errors import (TEMPLATE_UNAVAILABLE, WINDOW_ERRORS, AlreadySent, TransientError,
                               WeChatError, next_local_day)

# WeChat's customer-service window is 48 h after the resident's last message; keep a small margin.
WINDOW = dt.timedelta(hours=48) - dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_BASE, BACKOFF_CAP = 30.0, 3600.0  # seconds


@dataclass(frozen=True)
class RowView:
    """What the dispatcher needs of a row, detached from the DB session."""

    id: int
    dedupe_key: str
    channel: str
    openid: str | None
    payload: dict
    attempts: int
    ambiguous_since: dt.datetime | None


@dataclass(frozen=True)
class FollowerView:
    subscribed: bool
    last_message_at: dt.datetime | None
    last_event_at: dt.datetime | None = None


@dataclass(frozen=True)
class SendPlan:
    channel: str  # custom|template|mass
    row: RowView
    template: Template | None = None
    client_msg_id: str | None = None


EVENT_WINDOW = dt.timedelta(seconds=50)  # WeChat allows 1 minute after a click/follow; keep a margin


def window_open(follower: FollowerView | None, now: dt.datetime) -> bool:
    """A message from the resident opens 48 hours; a menu click or follow only about a minute."""
    if not follower:
        return False
    if follower.last_message_at and follower.last_message_at > now - WINDOW:
        return True
    return bool(follower.last_event_at and follower.last_event_at > now - EVENT_WINDOW)


def backoff(attempts: int) -> dt.timedelta:
    """Exponential with full jitter between half and all of the step, so retries do not stampede."""
    step = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=random.uniform(step / 2, step))


def _template_plan(row: RowView, tpl: Template) -> SendPlan:
    return SendPlan("template", row, tpl, client_msg_id(row.dedupe_key, "t"))


def plan(row: RowView, follower: FollowerView | None, config: DeliveryConfig, mass_left: int,
         now: dt.datetime) -> SendPlan | Outcome:
    """Choose the channel, or decide without calling WeChat (unsubscribed, window closed, no quota)."""
    p = row.payload
    if row.openid and follower is not None and not follower.subscribed:
        return Outcome(CANCELLED, "unsubscribed")
    quiet_until = notice_rules.hold_queued(row.dedupe_key, p, now)
    if quiet_until is not None:  # defence in depth: a notice row queued before quiet hours began
        return Outcome(PENDING, "quiet hours (21:00–08:00): waiting for 08:00", next_attempt_at=quiet_until)
    if row.channel == "mass":
        if mass_left <= 0:
            return Outcome(PENDING, "today's mass-send quota is used up; waiting for tomorrow",
                           next_attempt_at=next_local_day(now))
        return SendPlan("mass", row, client_msg_id=p.get("clientmsgid") or client_msg_id(row.dedupe_key, "m"))
    tpl = None if p.get("template_refused") else config.template(p.get("kind"))
    has_text = bool((p.get("text") or {}).get("content")) or p.get("msgtype") not in (None, "text")
    if row.channel == "template" and tpl:
        return _template_plan(row, tpl)
    if row.channel == "template" and not has_text:
        return Outcome(FAILED, f"no template configured for {p.get('kind')!r} and no text to send instead")
    if window_open(follower, now):
        return SendPlan("custom", row)
    if tpl:  # a customer-service message after the window closed: the template says it instead
        return _template_plan(row, tpl)
    return Outcome(FAILED, "window closed: no message from the resident in 48 h and no template configured"
                           + (f" for {p['kind']!r}" if p.get("kind") else ""), channel="custom")


def after_success(plan_: SendPlan, result: dict) -> Outcome:
    msg_id = result.get("msgid") or result.get("msg_id")
    return Outcome(SENT, None, channel=plan_.channel, wx_msg_id=str(msg_id) if msg_id else None,
                   counts_as_sent=True)


def after_error(plan_: SendPlan, exc: WeChatError, attempt_started: dt.datetime,
                follower: FollowerView | None, config: DeliveryConfig, now: dt.datetime) -> Outcome:
    """Retry transient errors with backoff, record permanent ones, never risk a duplicate."""
    row, channel = plan_.row, plan_.channel
    if isinstance(exc, AlreadySent):  # 45065: an earlier (interrupted) attempt already went out
        return Outcome(SENT, "45065: sent by an earlier attempt (same clientmsgid)", channel=channel)
    if isinstance(exc, TransientError):
        since = row.ambiguous_since or (attempt_started if exc.ambiguous else None)
        # After a maybe-delivered attempt, retry soon: WeChat's dedup window is short.
        delay = dt.timedelta(seconds=random.uniform(5, 15)) if since else backoff(row.attempts + 1)
        next_at = exc.retry_at or now + delay
        if since and not resend_is_deduplicated(channel, since, next_at):
            return Outcome(UNKNOWN, f"{exc.summary}; may have arrived, a resend could duplicate it. Staff: "
                                    "resend or mark as sent", channel=channel, ambiguous_since=since)
        if row.attempts + 1 >= MAX_ATTEMPTS and exc.retry_at is None:
            return Outcome(FAILED, f"gave up after {row.attempts + 1} attempts: {exc.summary}",
                           channel=channel, ambiguous_since=since)
        # A daily quota pushes the message to tomorrow: too late for an owed one (bot.calls opens a task).
        return Outcome(PENDING, exc.summary, next_attempt_at=next_at, channel=channel, ambiguous_since=since,
                       extra={"postponed": True} if exc.retry_at else {})
    code = exc.errcode
    if channel == "template" and code in TEMPLATE_UNAVAILABLE and window_open(follower, now) \
            and (row.payload.get("text") or {}).get("content"):
        payload = {**row.payload, "template_refused": True}
        return Outcome(PENDING, f"template refused ({exc.summary}); sending the text instead",
                       next_attempt_at=now, channel="custom", payload=payload)
    if channel == "custom" and code in WINDOW_ERRORS and config.template(row.payload.get("kind")) \
            and not row.payload.get("template_refused"):
        return Outcome(PENDING, f"{exc.summary}; sending the template instead", next_attempt_at=now,
                       channel="template")
    return Outcome(FAILED, exc.summary, channel=channel, unfollowed=code == 43004)
