"""Open call tasks for owed messages WeChat cannot deliver; close them; count the open ones.

Called inside the transaction that records the outbox outcome (bot.outbox.state), so a message is
never marked failed without its task, and never gets two tasks (unique outbox_id).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.calls.models import DONE, OPEN, STATUS_LABELS, UNREACHABLE, CallTask
from bot.db import utcnow
import bot.outbox.models  # noqa: F401 - adds outbox.owed / owed_ref
from bot.models import OutboxMessage as O

log = logging.getLogger(__name__)
FINAL = ("failed", "cancelled", "unknown")
# (text found in last_error → what staff read), first match wins.
_REASONS = [
    ("window closed", "居民超过 48 小时没有发消息，微信不让发客服消息，也没有配置模板消息"),
    ("43004", "居民已取消关注公众号（43004）"), ("unsubscribed", "居民已取消关注公众号"),
    ("45015", "超过 48 小时客服窗口（45015）"), ("45047", "客服消息条数已用完（45047）"),
    ("interrupted", "发送时中断，不能确定居民是否收到"), ("gave up", "多次发送都没有成功"),
    ("no template configured", "没有配置模板消息，也没有文字可发"),
]


def reason_for(status: str, error: str | None, postponed: bool = False) -> str:
    text = error or ""
    if postponed:
        return f"今天的发送额度已用完，消息要到明天才能发出（{text[:60]}）"
    for needle, label in _REASONS:
        if needle in text:
            return label
    if status == "unknown":
        return "不能确定居民是否收到"
    return ("发送失败：" + text)[:200] if text else "发送失败"


def open_for_outbox(session: Session, row_ids, postponed=()) -> int:
    """One task per owed row that ended failed / cancelled / unknown (or pushed to tomorrow)."""
    ids = set(row_ids) | set(postponed)
    if not ids:
        return 0
    # populate_existing: the outcome was written with Core UPDATEs behind the ORM's back.
    rows = session.scalars(select(O).where(O.id.in_(ids), O.owed.is_not(None))
                           .execution_options(populate_existing=True)).all()
    rows = [r for r in rows if r.status in FINAL or (r.id in postponed and r.status == "pending")]
    if not rows:
        return 0
    have = set(session.scalars(select(CallTask.outbox_id).where(CallTask.outbox_id.in_([r.id for r in rows]))))
    made = 0
    for row in rows:
        if row.id in have:
            continue
        text = ((row.payload or {}).get("text") or {}).get("content")
        session.add(CallTask(outbox_id=row.id, openid=row.openid, ref=row.owed_ref, what=row.owed,
                             message=text, reason=reason_for(row.status, row.last_error, row.status == "pending"),
                             error=(row.last_error or "")[:500] or None))
        made += 1
    if made:
        session.flush()
        log.warning("%s owed message(s) could not be delivered: call tasks opened", made)
    return made


def open_direct(session: Session, openid: str, what: str, message: str, reason: str,
                ref: str | None = None) -> CallTask:
    """A task for an owed message that was never queued because no channel exists (unsubscribed)."""
    task = CallTask(openid=openid, ref=ref, what=what[:60], message=message, reason=reason[:200])
    session.add(task)
    return task


def settle(session: Session, knowledge_dir: str, now: dt.datetime | None = None) -> int:
    """Owed messages queued in this transaction that have no channel at all (window closed and no
    template, unsubscribed) fail now, with their call task, so staff see the truth at once."""
    from bot.outbox import policy
    from bot.outbox.config import load_config
    from bot.models import Follower

    ids = session.info.pop("owed_new", [])
    if not ids:
        return 0
    now, config = now or utcnow(), load_config(knowledge_dir)
    failed = []
    for row in session.scalars(select(O).where(O.id.in_(ids), O.status == "pending")):
        f = session.get(Follower, row.openid) if row.openid else None
        view = policy.FollowerView(f.subscribed, f.last_message_at, f.last_event_at) if f else None
        decision = policy.plan(policy.RowView(row.id, row.dedupe_key, row.channel, row.openid,
                                              dict(row.payload or {}), row.attempts, None),
                               view, config, 0, now)
        if getattr(decision, "status", None) in FINAL:
            row.status, row.last_error = decision.status, decision.last_error
            failed.append(row.id)
    session.flush()
    return open_for_outbox(session, failed)


def open_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CallTask).where(CallTask.status == OPEN)) or 0


def close(session: Session, task_id: int, status: str, actor: str, note: str | None = None) -> CallTask:
    """Staff record the call: told (done) or not reachable; who and when are kept."""
    from bot.privacy.audit import audit

    if status not in (DONE, UNREACHABLE):
        raise ValueError(f"status must be {DONE} or {UNREACHABLE}")
    task = session.get(CallTask, task_id, with_for_update=True)
    if task is None:
        raise LookupError(task_id)
    task.status, task.note = status, (note or "").strip()[:200] or None
    task.handled_by, task.handled_at = actor[:64], utcnow()
    audit(session, actor, "call.close", f"call:{task.id}", status=status)
    return task


def forget(session: Session, openid: str) -> int:
    """“删除我的信息”: the resident's call tasks go (staff must not phone someone who asked that)."""
    from sqlalchemy import delete
    return session.execute(delete(CallTask).where(CallTask.openid == openid)).rowcount


def resolve_sent(session: Session, outbox_id: int, actor: str) -> None:
    """Staff confirmed an "unknown" message did arrive: nobody needs to phone about it."""
    task = session.scalar(select(CallTask).where(CallTask.outbox_id == outbox_id, CallTask.status == OPEN))
    if task is not None:
        task.status, task.note = DONE, "消息已确认送达"
        task.handled_by, task.handled_at = actor[:64], utcnow()


__all__ = ["open_for_outbox", "open_direct", "settle", "open_count", "close", "reason_for", "STATUS_LABELS"]
