"""What a notice reached: the staff's delivery report in recipients (not API calls), the resident's list."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.calendar_cn import WEEKDAYS
from bot.db import LOCAL_TZ, utcnow
from bot.models import OutboxMessage as O
from bot.notices.schedule import timing
from bot.outbox.models import DeliveryEvent, Notice, NoticeRecipient
from bot.outbox.notify import delivery_report

WAITING = ("pending", "claimed", "sending")
UNDATED_SHOWN_DAYS = 60  # residents still see a notice without an event date this long after it went out


def local_time(at: dt.datetime) -> str:
    local = at.astimezone(LOCAL_TZ)
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def compose_text(notice: Notice) -> str:
    """The message residents get: short lines, time and place first, a way to ask."""
    lines = [f"【活动通知】{notice.title}"]
    if notice.event_at:
        lines.append(f"时间：{local_time(notice.event_at)}")
    if notice.place:
        lines.append(f"地点：{notice.place}")
    lines.append(notice.body.strip())
    if notice.link:
        lines.append(f"详情：{notice.link}")
    lines.append("回复“活动”查看最近的通知；回复 0 转人工。")
    return "\n".join(lines)


def report(session: Session, notice_id: int, knowledge_dir: str | None = None,
           now: dt.datetime | None = None) -> dict:
    """For the console and CLI: the notice, when it goes, recipients reached, problems, WeChat's reports."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise KeyError(notice_id)
    info = {"id": notice.id, "title": notice.title, "audience": notice.audience, "status": notice.status,
            "urgent": notice.urgent, "timing": timing(notice, now, session),
            "scheduled_at": notice.scheduled_at and notice.scheduled_at.isoformat(),
            "sent_at": notice.sent_at and notice.sent_at.isoformat(), "error": notice.last_error,
            "text": compose_text(notice)}
    delivery = delivery_report(session, source=f"notice:{notice.id}", knowledge_dir=knowledge_dir, now=now)
    return {**info, "delivery": delivery, "recipients": recipients(session, notice)}


def recipients(session: Session, notice: Notice) -> dict:
    """People, not calls: a mass send to 5 counts 5. WeChat's finish reports give 已送达; without one
    the count is what we handed to WeChat (已提交). None means not known (a send to all followers)."""
    targeted = None if notice.audience == "all" else session.scalar(
        select(func.count()).select_from(NoticeRecipient).where(NoticeRecipient.notice_id == notice.id))
    rows = session.execute(select(O.channel, O.status, O.payload, O.wx_msg_id)
                           .where(O.source == f"notice:{notice.id}")).all()
    msg_ids = [r.wx_msg_id for r in rows if r.wx_msg_id]
    events = {e.msg_id: e for e in session.scalars(select(DeliveryEvent).where(
        DeliveryEvent.msg_id.in_(msg_ids)))} if msg_ids else {}
    out = {"targeted": targeted, "submitted": 0, "delivered": None, "failed": 0, "waiting": 0}
    for channel, status, payload, msg_id in rows:
        target = (payload or {}).get("target") or {}
        n = (len(target["openids"]) if "openids" in target else targeted if "tag_id" in target else None) \
            if channel == "mass" else 1
        if status in WAITING:
            out["waiting"] += n or 0
            continue
        if status != "sent":
            out["failed"] += n or 0
            continue
        event = events.get(msg_id)
        if event is not None and channel == "mass" and event.sent_count is not None:
            total = event.total_count if event.total_count is not None else n
            out["submitted"] = _add(out["submitted"], total)
            out["delivered"] = (out["delivered"] or 0) + event.sent_count
            out["failed"] += max(0, (total or 0) - event.sent_count)
            continue
        out["submitted"] = _add(out["submitted"], n)
        if event is not None and event.event == "templatesendjobfinish":
            ok = (event.status or "").lower() == "success"
            out["delivered"] = (out["delivered"] or 0) + ok
            out["failed"] += not ok
    out["text"] = recipients_text(out)
    return out


def _add(total: int | None, n: int | None) -> int | None:
    return None if total is None or n is None else total + n


def recipients_text(r: dict) -> str:
    """One honest line: 已提交 (handed to WeChat) is not 已送达 (WeChat reported it arrived)."""
    parts = []
    if r["targeted"] is not None:
        parts.append(f"对象 {r['targeted']} 人")
    if r["waiting"]:
        parts.append(f"等待发送 {r['waiting']} 人")
    if r["submitted"] is None:
        parts.append("已提交给微信：全部关注者（人数以微信的群发报告为准）")
    elif r["submitted"]:
        parts.append(f"已提交给微信 {r['submitted']} 人")
    if r["delivered"] is not None:
        parts.append(f"已送达 {r['delivered']} 人")
    elif r["submitted"] != 0:
        parts.append("送达人数等微信的报告")
    if r["failed"]:
        parts.append(f"未送达 {r['failed']} 人")
    return "，".join(parts) + "。" if parts else "还没有开始发送。"


def sent_to(session: Session, openid: str | None, town: str | None, now: dt.datetime | None = None,
            limit: int = 5) -> list[Notice]:
    """The notices this resident was sent (any audience) and the public ones, newest first;
    events already over and old undated notices are left out."""
    now = now or utcnow()
    start_of_day = dt.datetime.combine(now.astimezone(LOCAL_TZ).date(), dt.time(0), LOCAL_TZ)
    shown = [Notice.audience == "all"]
    if town:
        shown.append(Notice.audience == f"town:{town}")
    if openid:
        shown.append(Notice.id.in_(select(NoticeRecipient.notice_id).where(NoticeRecipient.openid == openid)))
    rows = session.scalars(select(Notice).where(Notice.status == "sent", or_(*shown))
                           .order_by(Notice.sent_at.desc(), Notice.id.desc()).limit(100)).all()
    recent = now - dt.timedelta(days=UNDATED_SHOWN_DAYS)
    keep = [n for n in rows if (n.event_at and n.event_at >= start_of_day)
            or (not n.event_at and (n.sent_at or now) >= recent)]
    return keep[:limit]


def may_see(session: Session, notice: Notice, openid: str, town: str | None) -> bool:
    """Whether a resident may read a notice in full (it was public or sent to them)."""
    if notice.audience == "all" or (town and notice.audience == f"town:{town}"):
        return True
    return session.get(NoticeRecipient, (notice.id, openid)) is not None
