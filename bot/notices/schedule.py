"""When a notice goes: quiet hours and the day's mass sends decide it; the quota staff see everywhere."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import LOCAL_TZ, utcnow
from bot.outbox import notice_rules as rules
from bot.outbox import state
from bot.outbox.config import load_config
from bot.models import OutboxMessage
from bot.outbox.models import Notice

ACTIVE_OUTBOX = ("pending", "claimed", "sending")


def mass_committed(session: Session, at: dt.datetime, now: dt.datetime, config,
                   exclude_id: int | None = None, promised: bool = True) -> int:
    """Mass sends spent or queued on the local day of `at`, plus (promised) notices scheduled that day."""
    start = dt.datetime.combine(at.astimezone(LOCAL_TZ).date(), dt.time(0), LOCAL_TZ)
    end = start + dt.timedelta(days=1)
    count = state.used_today(session, "mass", at)
    active = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.channel == "mass", OutboxMessage.status.in_(ACTIVE_OUTBOX), OutboxMessage.next_attempt_at < end)
    if state.local_day(at) != state.local_day(now):
        active = active.where(OutboxMessage.next_attempt_at >= start)
    count += session.scalar(active) or 0
    if promised:
        count += sum(1 for audience in session.scalars(select(Notice.audience).where(
            Notice.status == "scheduled", Notice.scheduled_at >= start, Notice.scheduled_at < end,
            Notice.id != (exclude_id or 0))) if rules.uses_mass_send(audience, config))
    return count


def plan_send(session: Session, notice: Notice, requested: dt.datetime | None, now: dt.datetime, config) -> None:
    """Set when the notice goes: not in quiet hours unless urgent, not on a day without mass sends left."""
    at, reason = max(requested or now, now), None
    if not notice.urgent and rules.in_quiet_hours(at):
        at, reason = rules.quiet_end(at), "quiet"
    if rules.uses_mass_send(notice.audience, config):
        for _day in range(62):  # a quota of 0 must not loop forever
            if mass_committed(session, at, now, config, exclude_id=notice.id) < config.mass_daily_quota:
                break
            at, reason = rules.next_morning(at), "quota"
    notice.scheduled_at, notice.hold_reason = at, reason


def timing(notice: Notice, now: dt.datetime | None = None, session: Session | None = None) -> str | None:
    """For staff: when a notice goes and why it waits ("将于 明天 08:00 发送（21:00–08:00 不打扰）");
    with a session also for a notice whose queued messages wait (发送中 is not the whole story)."""
    now = now or utcnow()
    if notice.status == "sending" and session is not None:
        return _queued_timing(session, notice, now)
    if notice.status != "scheduled" or notice.scheduled_at is None:
        return None
    if notice.hold_reason:
        return rules.hold_message(notice.scheduled_at, now, notice.hold_reason)
    if notice.scheduled_at <= now + dt.timedelta(minutes=1):
        return "马上发送（下一次调度时发出）"
    return f"将于 {rules.when_text(notice.scheduled_at, now)} 发送"


def _queued_timing(session: Session, notice: Notice, now: dt.datetime) -> str | None:
    row = session.execute(select(OutboxMessage.next_attempt_at, OutboxMessage.last_error).where(
        OutboxMessage.source == f"notice:{notice.id}", OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at > now + dt.timedelta(minutes=1))
        .order_by(OutboxMessage.next_attempt_at).limit(1)).first()
    if row is None:
        return None
    at, error = row
    if not notice.urgent and rules.in_quiet_hours(at):  # the dispatcher holds it until 08:00 then
        at = rules.quiet_end(at)
    reason = "quota" if "quota" in (error or "") else "quiet" if "quiet" in (error or "") else None
    return rules.hold_message(at, now, reason) if reason else f"已排队，将于 {rules.when_text(at, now)} 重试"


def remaining_mass_quota(session: Session, knowledge_dir: str, now: dt.datetime | None = None) -> int:
    """Mass sends left today: the daily quota less those spent, queued or scheduled for today."""
    now, config = now or utcnow(), load_config(knowledge_dir)
    return max(0, config.mass_daily_quota - mass_committed(session, now, now, config))


def quota_summary(session: Session, knowledge_dir: str, now: dt.datetime | None = None) -> dict:
    """What every page and command shows about the mass-send quota: remaining, the line, the rule."""
    config = load_config(knowledge_dir)
    remaining = remaining_mass_quota(session, knowledge_dir, now)
    return {"remaining": remaining, "daily": config.mass_daily_quota,
            "line": rules.quota_line(remaining, config), "rule": rules.quota_rule(config)}
