"""How often each benefit was shown, per day: no openid, no profile (staff see which benefits people did not know)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class EntitlementShown(Base):
    __tablename__ = "entitlement_shown"
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    benefit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
