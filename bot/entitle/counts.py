"""The anonymous per-benefit counter: a row per (local day, benefit), counted in the message's transaction."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base
from bot.entitle.rules import load


class EntitlementShown(Base):
    """How often a benefit was listed on a day: no openid, no profile (which benefits people did not know)."""

    __tablename__ = "entitlement_shown"
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    benefit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


T = EntitlementShown


def count_shown(session, benefit_ids, day: dt.date) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for benefit_id in dict.fromkeys(benefit_ids):
        stmt = insert(T).values(day=day, benefit_id=benefit_id, count=1)
        session.execute(stmt.on_conflict_do_update(index_elements=["day", "benefit_id"],
                                                   set_={"count": T.count + 1}))


def totals(session, since: dt.date) -> list[tuple[str, int]]:
    """(benefit id, times shown) since a day, most shown first."""
    rows = session.execute(select(T.benefit_id, func.sum(T.count)).where(T.day >= since)
                           .group_by(T.benefit_id).order_by(func.sum(T.count).desc(), T.benefit_id))
    return [(benefit_id, int(n)) for benefit_id, n in rows]


def last_days(session, knowledge_dir: str, today: dt.date, days: int = 30) -> list[tuple[str, int]]:
    """(benefit name, times shown) over the last days, for the dashboard; a removed rule shows its id."""
    names = {r.id: r.name for r in load(knowledge_dir).rules}
    since = today - dt.timedelta(days=days - 1)
    return [(names.get(benefit_id, benefit_id), n) for benefit_id, n in totals(session, since)]
