"""urgent_item: one distress message (or a complaint) staff must follow up, open until marked handled."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow


class UrgentItem(Base):
    """Messages of one resident in one category within an hour share an item (count, text appended)."""

    __tablename__ = "urgent_item"
    __table_args__ = (Index("ix_urgent_item_open", "handled_at", "priority"),
                      Index("ix_urgent_item_who", "openid", "category"))
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))  # self_harm|violence|medical|danger|complaint
    priority: Mapped[int] = mapped_column(default=1)  # 1 urgent, 2 complaint or a person asked for
    matched: Mapped[Optional[str]] = mapped_column(String(64))  # the word that fired (for tuning the list)
    text: Mapped[str] = mapped_column(Text)  # the messages, scrubbed of ID and phone numbers, one a line
    count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[Optional[dt.datetime]]
    handled_by: Mapped[Optional[str]] = mapped_column(String(64))
    action_taken: Mapped[Optional[str]] = mapped_column(Text)  # what staff did (required to close)
