"""Open call tasks for owed messages WeChat cannot deliver; close them; count the open ones.

Called inside the transaction that records the outbox outcome (bot.outbox.state), so a message is
never marked failed without its task, and never gets two tasks (unique outbox_id).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

import bot.outbox.models  # noqa: F401 - adds outbox.owed / owed_ref
from bot.calls.models import DONE, OPEN, STATUS_LABELS, UNREACHABLE, CallTask
from bot.calls.owed import FINAL, open_for_outbox
from bot.db import utcnow
from bot.models import Follower, OutboxMessage as O
from bot.outbox import policy
from bot.outbox.config import load_config
from bot.privacy.audit import audit

def settle(session: Session, knowledge_dir: str, now: dt.datetime | None = None) -> int:
    """Owed messages queued in this transaction that have no channel at all (window closed and no
    template, unsubscribed) fail now, with their call task, so staff see the truth at once."""

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
    return session.execute(delete(CallTask).where(CallTask.openid == openid)).rowcount


__all__ = ["settle", "open_count", "close", "forget", "STATUS_LABELS"]
