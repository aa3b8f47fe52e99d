"""Staff side of urgent items: open counts for the banner, the list, marking handled."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.privacy.audit import audit
from bot.safety.models import UrgentItem

CATEGORY_LABELS = {"self_harm": "轻生、自伤", "violence": "家暴、虐待", "medical": "急病、摔倒",
                   "danger": "走失、遇险", "complaint": "投诉、找人"}
HANDLED_SHOWN_DAYS = 30


class NotHandled(ValueError):
    """The item cannot be marked handled (already handled, or no note of what was done)."""


def open_counts(session: Session) -> dict[str, int]:
    """{'urgent': open priority-1 items, 'complaint': open priority-2 items} for the console banner."""
    rows = session.execute(select(UrgentItem.priority, func.count()).where(
        UrgentItem.handled_at.is_(None)).group_by(UrgentItem.priority)).all()
    counts = dict(rows)
    return {"urgent": counts.get(1, 0), "complaint": sum(n for p, n in counts.items() if p != 1)}


def list_items(session: Session, days: int = HANDLED_SHOWN_DAYS) -> tuple[list[UrgentItem], list[UrgentItem]]:
    """(open items, most urgent and oldest first; items handled in the last `days` days, newest first)."""
    open_items = session.scalars(select(UrgentItem).where(UrgentItem.handled_at.is_(None)).order_by(
        UrgentItem.priority, UrgentItem.created_at)).all()
    handled = session.scalars(select(UrgentItem).where(
        UrgentItem.handled_at >= utcnow() - dt.timedelta(days=days)).order_by(
        UrgentItem.handled_at.desc()).limit(200)).all()
    return list(open_items), list(handled)


def mark_handled(session: Session, item_id: int, actor: str, note: str) -> UrgentItem:
    """Close an item with who, when and what was done (a note is required); audited."""
    note = " ".join((note or "").split())
    if not note:
        raise NotHandled("请写明做了什么（例如：已电话联系本人，已通知村干部上门）。")
    item = session.get(UrgentItem, item_id, with_for_update=True)
    if item is None:
        raise LookupError(item_id)
    if item.handled_at is not None:
        raise NotHandled(f"这条已由 {item.handled_by} 处理过了。")
    item.handled_at, item.handled_by, item.action_taken = utcnow(), actor[:64], note[:1000]
    audit(session, actor, "urgent.handle", f"urgent:{item.id}", category=item.category, note=note[:200])
    return item


def forget_resident(session: Session, openid: str) -> int:
    """“删除我的信息”: handled items go; an open one keeps only its category so staff still follow up."""
    removed = session.execute(delete(UrgentItem).where(
        UrgentItem.openid == openid, UrgentItem.handled_at.is_not(None))).rowcount
    for item in session.scalars(select(UrgentItem).where(UrgentItem.openid == openid)):
        item.text, item.matched = "（居民已要求删除个人信息，原话已删除）", None
        removed += 1
    return removed


def purge_handled(session: Session, retention_days: int) -> int:
    """After the retention period a handled item keeps who, when and what was done, not the words."""
    return session.execute(update(UrgentItem).where(
        UrgentItem.handled_at < utcnow() - dt.timedelta(days=retention_days),
        UrgentItem.text != "").values(text="", matched=None)).rowcount
