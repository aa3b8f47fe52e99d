"""Call tasks from the outbox's side: an owed message that will not arrive opens one, with the reason
staff read; a message staff confirm as sent closes it. Imports nothing of the outbox (which calls it).
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

import bot.outbox.models  # noqa: F401 - adds outbox.owed / owed_ref
from bot.calls.models import DONE, OPEN, CallTask
from bot.db import utcnow
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


def resolve_sent(session: Session, outbox_id: int, actor: str) -> None:
    """Staff confirmed an "unknown" message did arrive: nobody needs to phone about it."""
    task = session.scalar(select(CallTask).where(CallTask.outbox_id == outbox_id, CallTask.status == OPEN))
    if task is not None:
        task.status, task.note = DONE, "消息已确认送达"
        task.handled_by, task.handled_at = actor[:64], utcnow()
