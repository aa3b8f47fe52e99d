"""What staff are told about owed messages: delivered, queued, or needs a call — never "told" for a failure."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calls.models import STATUS_LABELS, CallTask
import bot.outbox.models  # noqa: F401 - adds outbox.owed / owed_ref
from bot.models import OutboxMessage as O

DELIVERED, QUEUED, CALL = "delivered", "queued", "call"
LABELS = {DELIVERED: "已送达", QUEUED: "排队中", CALL: "需电话通知"}


@dataclass(frozen=True)
class Delivery:
    """The newest owed message about one record and where it stands."""

    what: str
    state: str  # delivered | queued | call
    task_id: int | None = None
    task_status: str | None = None

    @property
    def label(self) -> str:
        if self.state == CALL and self.task_status:
            return f"{LABELS[CALL]}（{STATUS_LABELS.get(self.task_status, self.task_status)}）"
        return LABELS[self.state]


def _state(row: O, task: CallTask | None) -> str:
    if task is not None or row.status in ("failed", "cancelled", "unknown"):
        return CALL
    return DELIVERED if row.status == "sent" else QUEUED


def for_refs(session: Session, refs: list[str]) -> dict[str, Delivery]:
    """ref ("booking:12") → the newest owed message about it; refs without one are left out."""
    if not refs:
        return {}
    rows = session.scalars(select(O).where(O.owed_ref.in_(set(refs))).order_by(O.id)).all()
    newest = {row.owed_ref: row for row in rows}  # ordered by id: the last one wins
    tasks = {t.outbox_id: t for t in session.scalars(
        select(CallTask).where(CallTask.outbox_id.in_([r.id for r in newest.values()])))} if newest else {}
    out = {}
    for ref, row in newest.items():
        task = tasks.get(row.id)
        out[ref] = Delivery(row.owed, _state(row, task), task.id if task else None,
                            task.status if task else None)
    return out


def counts(deliveries) -> Counter:
    return Counter(d.state for d in deliveries)


def summary(deliveries) -> str:
    """'已送达 1 · 排队中 0 · 需电话通知 1' for CLIs and flashes."""
    c = counts(deliveries)
    return " · ".join(f"{LABELS[s]} {c.get(s, 0)}" for s in (DELIVERED, QUEUED, CALL))
