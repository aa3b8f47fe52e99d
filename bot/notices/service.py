"""Event notices staff broadcast: compose and check, schedule, cancel, send (a scheduler tick), report."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bot.config import ROOT
from bot.db import utcnow
from bot.models import OutboxMessage
from bot.notices import audiences
from bot.notices.reports import compose_text, local_time, report  # noqa: F401 (the notices API)
from bot.notices.schedule import (mass_committed, plan_send, quota_summary,  # noqa: F401 (the notices API)
                                 remaining_mass_quota, timing)
from bot.outbox import notice_rules as rules
from bot.outbox.config import load_config
from bot.outbox.enqueue import enqueue_mass_text
from bot.outbox.models import Notice, NoticeRecipient
from bot.outbox.notify import notify
from bot.wechat.errors import TransientError, WeChatError
from bot.wechat.reply import MAX_TEXT_BYTES

log = logging.getLogger(__name__)
TITLE_MAX, BODY_MAX, PLACE_MAX, LINK_MAX = 64, 600, 100, 500  # 64: WeChat's article title limit
ACTIVE_OUTBOX = ("pending", "claimed", "sending")


class NoticeError(ValueError):
    """The notice cannot be saved as given; .errors are messages for staff (Chinese)."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


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


def _config(knowledge_dir: str | None):
    return load_config(knowledge_dir or ROOT / "knowledge")


def create(session: Session, *, title: str, body: str, audience: str = "all",
           event_at: dt.datetime | None = None, place: str | None = None, link: str | None = None,
           scheduled_at: dt.datetime | None = None, created_by: str | None = None,
           draft: bool = False, urgent: bool = False, knowledge_dir: str | None = None,
           now: dt.datetime | None = None) -> Notice:
    """Save a notice; scheduled for scheduled_at (default: now) unless draft — moved out of quiet
    hours (unless urgent) and to a day with a mass send left (see plan_send)."""
    notice = Notice(title=(title or "").strip(), body=(body or "").strip(),
                    audience=(audience or "all").strip(), event_at=event_at,
                    place=(place or "").strip() or None, link=(link or "").strip() or None,
                    created_by=created_by, status="draft" if draft else "scheduled", urgent=bool(urgent))
    errors = validate(notice)
    if errors:
        raise NoticeError(errors)
    session.add(notice)
    session.flush()
    if not draft:
        plan_send(session, notice, scheduled_at, now or utcnow(), _config(knowledge_dir))
    return notice


def schedule(session: Session, notice_id: int, at: dt.datetime | None = None, *, urgent: bool | None = None,
             knowledge_dir: str | None = None, now: dt.datetime | None = None) -> Notice:
    """Schedule a draft (or move a scheduled notice); at=None means send now (see plan_send)."""
    notice = session.get(Notice, notice_id, with_for_update=True)
    if notice is None or notice.status not in ("draft", "scheduled"):
        raise NoticeError(["只有草稿或未发送的通知可以安排发送"])
    if urgent is not None:
        notice.urgent = urgent
    notice.status = "scheduled"
    plan_send(session, notice, at, now or utcnow(), _config(knowledge_dir))
    return notice


def send_now(session: Session, notice_id: int, **kw) -> Notice:
    return schedule(session, notice_id, None, **kw)


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


def send_due(settings, sessions, api, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduler tick: turn due notices into outbox rows (syncing tags first), settle finished ones.

    Quiet hours and the quota are checked again here: rows scheduled before these rules (or by hand)
    wait for 08:00 or for tomorrow instead of going out."""
    now = now or utcnow()
    counts = {"queued": 0, "failed": 0, "settled": 0, "held": 0}
    with sessions() as session:
        due = [(n.id, n.audience) for n in session.scalars(select(Notice).where(
            Notice.status == "scheduled", Notice.scheduled_at <= now).order_by(Notice.scheduled_at))]
    for notice_id, audience in due:
        if _hold(settings, sessions, notice_id, now):
            counts["held"] += 1
            continue
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
            notice.status, notice.hold_reason = "sending", None
            counts["queued"] += 1
    counts["settled"] = settle(sessions)
    return counts


def _hold(settings, sessions, notice_id: int, now: dt.datetime) -> bool:
    """Move a due notice out of quiet hours, or to tomorrow when today's mass sends are spent."""
    config = load_config(settings.knowledge_dir)
    with sessions.begin() as session:
        notice = session.get(Notice, notice_id, with_for_update=True)
        if notice is None or notice.status != "scheduled":
            return True
        if not notice.urgent and rules.in_quiet_hours(now):
            notice.scheduled_at, notice.hold_reason = rules.quiet_end(now), "quiet"
        elif rules.uses_mass_send(notice.audience, config) and mass_committed(
                session, now, now, config, promised=False) >= config.mass_daily_quota:
            notice.scheduled_at, notice.hold_reason = rules.next_morning(now), "quota"
        else:
            return False
        log.info("notice %s held until %s (%s)", notice_id, notice.scheduled_at, notice.hold_reason)
        return True


def _target(settings, sessions, api, audience: str) -> dict:
    """How to reach the audience, and who it reaches (kept per notice so residents can look it up)."""
    if audience == "all":
        return {"to_all": True}
    with sessions() as session:
        openids = audiences.members(session, audience)
    if audiences.tag_name(audience):
        return {"tag_id": audiences.sync_tag(api, sessions, audience), "members": openids}
    if load_config(settings.knowledge_dir).template("notice") or len(openids) < 2:
        return {"each": openids, "members": openids}  # template messages reach everyone, one by one
    # no template: mass/send to the list (no 48-hour window needed)
    return {"openids": openids, "members": openids}


def _enqueue(session: Session, notice: Notice, target: dict) -> None:
    source, text = f"notice:{notice.id}", compose_text(notice)
    members = target.pop("members", [])
    if members:
        session.execute(insert(NoticeRecipient), [{"notice_id": notice.id, "openid": o} for o in members])
    rows = []
    if "each" in target:
        fields = {"title": notice.title, "place": notice.place or "",
                  "time": local_time(notice.event_at) if notice.event_at else ""}
        for openid in target["each"]:
            rows.append(notify(session, openid, "notice", fields, f"{source}:{openid}", text, url=notice.link,
                               source=source))
    elif "openids" in target:
        for i in range(0, len(target["openids"]), 10000):
            rows.append(enqueue_mass_text(session, text, f"{source}:mass:{i}",
                                          openids=target["openids"][i:i + 10000], source=source))
    else:
        rows.append(enqueue_mass_text(session, text, f"{source}:mass", source=source, **target))
    if notice.urgent:  # the dispatcher lets these through in quiet hours
        for row in rows:
            row.payload = {**row.payload, "urgent": True}


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
