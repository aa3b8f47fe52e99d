"""The call_task table: one owed message staff must phone about, with who handled it and when."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

OPEN, DONE, UNREACHABLE = "open", "done", "unreachable"
STATUS_LABELS = {OPEN: "待打电话", DONE: "已电话告知", UNREACHABLE: "联系不上"}


class CallTask(Base):
    """An owed message that did not reach the resident; the phone and name are read from `ref`."""

    __tablename__ = "call_task"
    __table_args__ = (Index("ix_call_task_status", "status", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # One task per outbox row (retried dispatcher work never opens a second); None: no row was queued.
    outbox_id: Mapped[Optional[int]] = mapped_column(unique=True)
    openid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    ref: Mapped[Optional[str]] = mapped_column(String(40), index=True)  # booking:12 | waitlist:3 | registration:5
    what: Mapped[str] = mapped_column(String(60))  # the owed message, e.g. "上门评残场次取消"
    message: Mapped[Optional[str]] = mapped_column(Text)  # the text to read out on the phone
    reason: Mapped[str] = mapped_column(String(200))  # why WeChat could not deliver it (Chinese)
    error: Mapped[Optional[str]] = mapped_column(Text)  # the outbox's last_error, for the technician
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    handled_by: Mapped[Optional[str]] = mapped_column(String(64))
    handled_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
