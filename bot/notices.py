"""Event notices staff broadcast: compose and check, schedule, cancel, send (a scheduler tick), report."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import audiences
from bot.db import LOCAL_TZ, utcnow
from bot.delivery import delivery_report, notify, quota_today
from bot.delivery.config import load_config
from bot.models import OutboxMessage
from bot.models_delivery import Notice
from bot.outbox import enqueue_mass_text
from bot.reply import MAX_TEXT_BYTES
from bot.wechat_errors import TransientError, WeChatError

log = logging.getLogger(__name__)
TITLE_MAX, BODY_MAX, PLACE_MAX, LINK_MAX = 64, 600, 100, 500  # 64: WeChat's article title limit
WEEKDAYS = "一二三四五六日"
ACTIVE_OUTBOX = ("pending", "claimed", "sending")


class NoticeError(ValueError):
    """The notice cannot be saved as given; .errors are messages for staff (Chinese)."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


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


def validate(notice: Notice) -> list[str]:
    errors = []
    if not (notice.title or "").strip() or len(notice.title) > TITLE_MAX:
        errors.append(f"标题不能为空，最多 {TITLE_MAX} 个字")
    if not (notice.body or "").strip() or len(notice.body) > BODY_MAX:
        errors.append(f"正文不能为空，最多 {BODY_MAX} 个字（长文请放链接）")
    if notice.place and len(notice.place) > PLACE_MAX:
        errors.append(f"地点最多 {PLACE_MAX} 个字")
    if notice.link and (len(notice.link) > LINK_MAX or not notice.link.startswith(("http://", "https://"))):
        errors.append("链接要以 http:// 或 https:// 开头")
    problem = audiences.validate_audience(notice.audience or "")
    if problem:
        errors.append(problem)
    if not errors and len(compose_text(notice).encode("utf-8")) > MAX_TEXT_BYTES:
        errors.append("整条通知太长（微信限 2000 字节左右），请缩短正文")
    return errors


def create(session: Session, *, title: str, body: str, audience: str = "all",
           event_at: dt.datetime | None = None, place: str | None = None, link: str | None = None,
           scheduled_at: dt.datetime | None = None, created_by: str | None = None,
           draft: bool = False) -> Notice:
    """Save a notice; scheduled for scheduled_at (default: as soon as the scheduler runs) unless draft."""
    notice = Notice(title=(title or "").strip(), body=(body or "").strip(),
                    audience=(audience or "all").strip(), event_at=event_at,
                    place=(place or "").strip() or None, link=(link or "").strip() or None,
                    created_by=created_by, status="draft" if draft else "scheduled",
                    scheduled_at=None if draft else (scheduled_at or utcnow()))
    errors = validate(notice)
    if errors:
        raise NoticeError(errors)
    session.add(notice)
    session.flush()
    return notice


def schedule(session: Session, notice_id: int, at: dt.datetime | None = None) -> Notice:
    """Schedule a draft (or move a scheduled notice); at=None means send now."""
    notice = session.get(Notice, notice_id, with_for_update=True)
    if notice is None or notice.status not in ("draft", "scheduled"):
        raise NoticeError(["只有草稿或未发送的通知可以安排发送"])
    notice.status, notice.scheduled_at = "scheduled", at or utcnow()
    return notice


def send_now(session: Session, notice_id: int) -> Notice:
    return schedule(session, notice_id, None)


def cancel(session: Session, notice_id: int) -> bool:
    """Cancel before it goes out; False when WeChat already has it (or it is finished)."""
    notice = session.get(Notice, notice_id, with_for_update=True)
    if notice is None or notice.status in ("sent", "failed", "cancelled"):
        return False
    if notice.status == "sending":
        source = f"notice:{notice.id}"
        started = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.source == source, OutboxMessage.status.not_in(("pending", "cancelled"))))
        if started:
            return False  # already with WeChat (a mass send cannot be recalled from here)
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.source == source, OutboxMessage.status == "pending")
                        .values(status="cancelled", last_error="notice cancelled")
                        .execution_options(synchronize_session=False))
    notice.status = "cancelled"
    return True


def remaining_mass_quota(session: Session, knowledge_dir: str) -> int:
    return quota_today(session, knowledge_dir)["mass_remaining"]


def report(session: Session, notice_id: int, knowledge_dir: str | None = None) -> dict:
    """For the console: the notice, its delivery counts, problems and WeChat's finish reports."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise KeyError(notice_id)
    info = {"id": notice.id, "title": notice.title, "audience": notice.audience, "status": notice.status,
            "scheduled_at": notice.scheduled_at and notice.scheduled_at.isoformat(),
            "sent_at": notice.sent_at and notice.sent_at.isoformat(), "error": notice.last_error,
            "text": compose_text(notice)}
    delivery = delivery_report(session, source=f"notice:{notice.id}", knowledge_dir=knowledge_dir)
    return {**info, "delivery": delivery}


def upcoming(session: Session, town: str | None, now: dt.datetime | None = None,
             limit: int = 5) -> list[Notice]:
    """Sent notices residents can look up: events from today on, or undated ones of the last 30 days."""
    now = now or utcnow()
    start_of_day = dt.datetime.combine(now.astimezone(LOCAL_TZ).date(), dt.time(0), LOCAL_TZ)
    shown = ["all"] + ([f"town:{town}"] if town else [])
    rows = session.scalars(select(Notice).where(Notice.status == "sent", Notice.audience.in_(shown))
                           .order_by(Notice.id.desc()).limit(100)).all()
    dated = sorted((n for n in rows if n.event_at and n.event_at >= start_of_day), key=lambda n: n.event_at)
    undated = [n for n in rows if not n.event_at and n.sent_at and n.sent_at >= now - dt.timedelta(days=30)]
    return (dated + undated)[:limit]


def send_due(settings, sessions, api, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduler tick: turn due notices into outbox rows (syncing tags first), settle finished ones."""
    now = now or utcnow()
    counts = {"queued": 0, "failed": 0, "settled": 0}
    with sessions() as session:
        due = [(n.id, n.audience) for n in session.scalars(select(Notice).where(
            Notice.status == "scheduled", Notice.scheduled_at <= now).order_by(Notice.scheduled_at))]
    for notice_id, audience in due:
        try:
            target = _target(settings, sessions, api, audience)
        except TransientError as exc:
            log.warning("notice %s: audience %s not ready (%s); next tick retries", notice_id, audience,
                        exc.summary)
            continue
        except (WeChatError, ValueError) as exc:
            with sessions.begin() as session:
                notice = session.get(Notice, notice_id)
                notice.status, notice.last_error = "failed", str(getattr(exc, "summary", exc))
            counts["failed"] += 1
            continue
        with sessions.begin() as session:
            notice = session.get(Notice, notice_id, with_for_update=True)
            if notice is None or notice.status != "scheduled":
                continue  # cancelled meanwhile
            _enqueue(session, notice, target)
            notice.status = "sending"
            counts["queued"] += 1
    counts["settled"] = settle(sessions)
    return counts


def _target(settings, sessions, api, audience: str) -> dict:
    if audience == "all":
        return {"to_all": True}
    if audiences.tag_name(audience):
        return {"tag_id": audiences.sync_tag(api, sessions, audience)}
    with sessions() as session:
        openids = audiences.members(session, audience)
    if load_config(settings.knowledge_dir).template("notice") or len(openids) < 2:
        return {"each": openids}  # template messages reach everyone, one by one
    return {"openids": openids}  # no template: mass/send to the list (no 48-hour window needed)


def _enqueue(session: Session, notice: Notice, target: dict) -> None:
    source, text = f"notice:{notice.id}", compose_text(notice)
    if "each" in target:
        fields = {"title": notice.title, "place": notice.place or "",
                  "time": local_time(notice.event_at) if notice.event_at else ""}
        for openid in target["each"]:
            notify(session, openid, "notice", fields, f"{source}:{openid}", text, url=notice.link,
                   source=source)
    elif "openids" in target:
        for i in range(0, len(target["openids"]), 10000):
            enqueue_mass_text(session, text, f"{source}:mass:{i}", openids=target["openids"][i:i + 10000],
                              source=source)
    else:
        enqueue_mass_text(session, text, f"{source}:mass", source=source, **target)


def settle(sessions) -> int:
    """Notices whose messages are all finished become sent (any delivered) or failed."""
    settled = 0
    with sessions.begin() as session:
        for notice in session.scalars(select(Notice).where(Notice.status == "sending")):
            rows = session.execute(select(OutboxMessage.status, func.count(), func.max(OutboxMessage.sent_at))
                                   .where(OutboxMessage.source == f"notice:{notice.id}")
                                   .group_by(OutboxMessage.status)).all()
            by_status = {status: (n, last) for status, n, last in rows}
            if any(s in by_status for s in ACTIVE_OUTBOX):
                continue
            if "sent" in by_status:
                notice.status, notice.sent_at = "sent", by_status["sent"][1]
            else:
                notice.status = "failed"
                notice.last_error = notice.last_error or "no recipient could be reached (see the report)"
            settled += 1
    return settled
