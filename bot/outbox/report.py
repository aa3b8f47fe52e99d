"""What staff see about delivery: counts by status, problems to look at, quota, WeChat's own reports."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.calls.owed import resolve_sent
from bot.db import utcnow
from bot.models import OutboxMessage as O
from bot.outbox import state
from bot.outbox.config import load_config
from bot.outbox.models import DeliveryEvent

PROBLEM_STATUSES = (state.FAILED, state.UNKNOWN)


def delivery_report(session: Session, *, source: str | None = None, since: dt.datetime | None = None,
                    knowledge_dir: str | None = None, problems_limit: int = 50,
                    now: dt.datetime | None = None) -> dict:
    """Counts by status and channel, rows that need a look (failed / unknown), quota and finish events.
    now: the moment whose (Beijing) day the quota is counted for; the present by default."""
    where = []
    if source:
        where.append(O.source == source)
    if since:
        where.append(O.created_at >= since)
    counts: dict[str, dict[str, int]] = {}
    for status, channel, n in session.execute(
            select(O.status, O.channel, func.count()).where(*where).group_by(O.status, O.channel)):
        counts.setdefault(status, {})[channel] = n
    problems = [
        {"id": r.id, "openid": r.openid, "channel": r.channel, "status": r.status, "source": r.source,
         "attempts": r.attempts, "error": r.last_error, "created_at": r.created_at.isoformat()}
        for r in session.scalars(select(O).where(O.status.in_(PROBLEM_STATUSES), *where)
                                 .order_by(O.id.desc()).limit(problems_limit))]
    msg_ids = [m for m in session.scalars(select(O.wx_msg_id).where(O.wx_msg_id.is_not(None), *where)
                                          .order_by(O.id.desc()).limit(500))]
    events = finish_events(session, msg_ids) if (source or since) else finish_events(session, None, limit=20)
    totals = {status: sum(by_channel.values()) for status, by_channel in counts.items()}
    return {"totals": totals, "by_status": counts, "problems": problems, "events": events,
            "quota": quota_today(session, knowledge_dir, now) if knowledge_dir else None}


def finish_events(session: Session, msg_ids: list[str] | None, limit: int = 200) -> list[dict]:
    query = select(DeliveryEvent).order_by(DeliveryEvent.id.desc()).limit(limit)
    if msg_ids is not None:
        if not msg_ids:
            return []
        query = query.where(DeliveryEvent.msg_id.in_(msg_ids))
    return [{"event": e.event, "msg_id": e.msg_id, "status": e.status, "total": e.total_count,
             "filtered": e.filter_count, "sent": e.sent_count, "errors": e.error_count,
             "received_at": e.received_at.isoformat()} for e in session.scalars(query)]


def quota_today(session: Session, knowledge_dir: str, now: dt.datetime | None = None) -> dict:
    """Successful sends today per channel and the mass sends left (Asia/Shanghai day)."""
    now = now or utcnow()
    config = load_config(knowledge_dir)
    used = {ch: state.used_today(session, ch, now) for ch in ("mass", "template", "custom")}
    return {"day": state.local_day(now), "used": used,
            "mass_daily_quota": config.mass_daily_quota,
            "mass_remaining": max(0, config.mass_daily_quota - used["mass"])}


def resolve_unknown(session: Session, outbox_id: int, action: str, by: str | None = None) -> bool:
    """Staff decide about a maybe-delivered message: 'resend', 'sent' (it arrived) or 'drop'."""
    row = session.get(O, outbox_id, with_for_update=True)
    if row is None or row.status != state.UNKNOWN:
        return False
    who = f" by {by}" if by else ""
    if action == "resend":
        row.status, row.next_attempt_at, row.ambiguous_since = state.PENDING, utcnow(), None
        row.last_error = f"resend requested{who}"
    elif action == "sent":
        row.status, row.sent_at, row.last_error = state.SENT, utcnow(), f"marked as sent{who}"
        resolve_sent(session, row.id, by or "staff")
    elif action == "drop":
        row.status, row.last_error = state.FAILED, f"dropped{who} after an interrupted attempt"
    else:
        raise ValueError("action must be resend, sent or drop")
    return True


def record_finish_event(session: Session, raw: dict, openid: str | None = None) -> DeliveryEvent:
    """Store a MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH event (fields as WeChat names them)."""
    def number(key):
        try:
            return int(raw.get(key)) if raw.get(key) not in (None, "") else None
        except (TypeError, ValueError):
            return None
    msg_id = str(raw.get("MsgID") or raw.get("MsgId") or "")[:32] or None
    event = DeliveryEvent(event=str(raw.get("Event", "")).lower()[:32], msg_id=msg_id, openid=openid,
                          status=str(raw.get("Status") or "")[:64] or None,
                          total_count=number("TotalCount"), filter_count=number("FilterCount"),
                          sent_count=number("SentCount"), error_count=number("ErrorCount"),
                          detail={k: v for k, v in raw.items() if isinstance(v, str) and k != "ToUserName"})
    session.add(event)
    return event
