"""Numbers for the dashboard: messages per local day, how questions were answered, unanswered ones."""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from sqlalchemy import func, not_, select
from sqlalchemy.orm import Session

from bot.calendar_cn import day_start
from bot.db import LOCAL_TZ, local_now
from bot.models import MessageLog, OutboxMessage

log = logging.getLogger(__name__)
QUESTION_KINDS = ("answer", "referral", "suggest", "fallback")
KIND_LABELS = {"answer": "直接答复", "referral": "指引到其他部门", "suggest": "给出选项",
               "fallback": "没答上", "smalltalk": "寒暄", "command": "菜单/办理"}
UNANSWERED_KINDS = ("fallback", "suggest")


def is_message():
    """Resident messages only: events (subscribe, menu clicks) are not questions."""
    return not_(MessageLog.msg_type.like("event:%"))


def per_day(session: Session, days: int = 14) -> list[tuple[dt.date, int]]:
    today = local_now().date()
    first = today - dt.timedelta(days=days - 1)
    stamps = session.scalars(select(MessageLog.created_at).where(
        MessageLog.created_at >= day_start(first), is_message()))
    counts = Counter(ts.astimezone(LOCAL_TZ).date() for ts in stamps)
    return [(first + dt.timedelta(days=i), counts.get(first + dt.timedelta(days=i), 0)) for i in range(days)]


def kinds_since(session: Session, since: dt.datetime) -> dict[str, int]:
    rows = session.execute(select(MessageLog.kind, func.count()).where(
        MessageLog.created_at >= since, is_message()).group_by(MessageLog.kind))
    return {kind or "other": n for kind, n in rows}


def rates(counts: dict[str, int]) -> list[dict]:
    """Share of each outcome among questions (answer/referral/suggest/fallback)."""
    total = sum(counts.get(k, 0) for k in QUESTION_KINDS)
    return [{"kind": k, "label": KIND_LABELS[k], "count": counts.get(k, 0),
             "pct": round(100 * counts.get(k, 0) / total, 1) if total else 0.0} for k in QUESTION_KINDS]


def unanswered(session: Session, days: int = 30, limit: int = 200) -> list[dict]:
    """Questions that got no confident answer, grouped by text, most asked first."""
    since = local_now() - dt.timedelta(days=days)
    rows = session.execute(select(MessageLog.id, MessageLog.text, MessageLog.kind, MessageLog.created_at,
                                  MessageLog.detail)
                           .where(MessageLog.created_at >= since, MessageLog.kind.in_(UNANSWERED_KINDS),
                                  is_message(), MessageLog.text.is_not(None), MessageLog.text != "")
                           .order_by(MessageLog.created_at.desc()).limit(5000))
    groups: dict[str, dict] = {}
    for row in rows:
        key = " ".join(row.text.split())
        group = groups.setdefault(key, {"text": key, "count": 0, "kinds": Counter(), "last": row.created_at,
                                        "log_id": row.id, "candidates": candidates_of(row.detail)})
        group["count"] += 1
        group["kinds"][row.kind] += 1
    return sorted(groups.values(), key=lambda g: (-g["count"], -g["last"].timestamp()))[:limit]


def candidates_of(detail) -> list[str]:
    if not isinstance(detail, dict):
        return []
    found = [c.get("id") for c in detail.get("candidates") or [] if isinstance(c, dict) and c.get("id")]
    return found[:3]


def picks(session: Session, days: int = 30, limit: int = 100) -> list[dict]:
    """Numbered picks after a suggestion: the question asked and the topic the resident chose.

    The pick row (route pick:…) carries the chosen action; the question is the openid's previous
    logged message with kind suggest.
    """
    since = local_now() - dt.timedelta(days=days)
    rows = session.execute(select(MessageLog).where(
        MessageLog.created_at >= since, MessageLog.route.like("pick:%")).order_by(
        MessageLog.created_at.desc()).limit(limit * 3)).scalars().all()
    found, seen = [], set()
    for row in rows:
        picked = (row.detail or {}).get("picked") if isinstance(row.detail, dict) else None
        entry_id = _picked_entry(picked, row)
        if not entry_id:
            continue
        before = session.scalar(select(MessageLog).where(
            MessageLog.openid == row.openid, MessageLog.id < row.id, MessageLog.kind == "suggest",
            is_message()).order_by(MessageLog.id.desc()).limit(1))
        if before is None or not before.text:
            continue
        key = (" ".join(before.text.split()), entry_id)
        if key in seen:
            continue
        seen.add(key)
        found.append({"text": key[0], "entry_id": entry_id, "log_id": before.id, "when": row.created_at})
    return found[:limit]


def _picked_entry(picked, row) -> str | None:
    if isinstance(picked, dict):
        action = str(picked.get("action") or "")
        if ":" in action:
            return action.split(":", 1)[1] or None
        return picked.get("topic") or picked.get("entry_id")
    return row.topic if row.kind == "answer" else None


def outbox_summary(session: Session, days: int = 7) -> dict[str, int]:
    since = local_now() - dt.timedelta(days=days)
    rows = session.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.created_at >= since).group_by(OutboxMessage.status))
    return dict(rows.all())


__all__ = ["per_day", "kinds_since", "rates", "unanswered", "picks", "outbox_summary", "day_start",
           "KIND_LABELS"]
