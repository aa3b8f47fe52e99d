"""Delivery tables: notices, WeChat's send-job reports, quota usage, synced tags."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

NOTICE_STATUSES = ("draft", "scheduled", "sending", "sent", "failed", "cancelled")


class Notice(Base):
    """An event notice staff compose; broadcast at scheduled_at to its audience."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_due", "status", "scheduled_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    event_at: Mapped[Optional[dt.datetime]]  # when the event takes place (shown to residents)
    place: Mapped[Optional[str]] = mapped_column(String(100))
    link: Mapped[Optional[str]] = mapped_column(String(500))
    # all | town:NAME | registered | subscribers | round:ID (see bot.notices.audiences)
    audience: Mapped[str] = mapped_column(String(64), default="all")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    scheduled_at: Mapped[Optional[dt.datetime]]
    created_by: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[dt.datetime]]
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    # Urgent notices may go out in quiet hours (21:00–08:00); others wait for 08:00.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Why a scheduled notice was moved: "quiet" (21:00–08:00) or "quota" (that day's mass sends used up).
    hold_reason: Mapped[Optional[str]] = mapped_column(String(200))


class NoticeRecipient(Base):
    """One resident a notice was sent to (tag members and lists at send time; not kept for "all")."""

    __tablename__ = "notice_recipient"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class DeliveryEvent(Base):
    """WeChat's MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH report for one send."""

    __tablename__ = "delivery_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(32))  # masssendjobfinish|templatesendjobfinish
    msg_id: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    openid: Mapped[Optional[str]] = mapped_column(String(64))  # the recipient, for template reports
    status: Mapped[Optional[str]] = mapped_column(String(64))  # "send success", "failed:user block"…
    total_count: Mapped[Optional[int]]
    filter_count: Mapped[Optional[int]]
    sent_count: Mapped[Optional[int]]
    error_count: Mapped[Optional[int]]
    detail: Mapped[Optional[dict]]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QuotaUsage(Base):
    """Successful API sends per local day and channel (mass sends have a small daily quota)."""

    __tablename__ = "quota_usage"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, Asia/Shanghai
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)  # mass|template|custom
    used: Mapped[int] = mapped_column(Integer, default=0)


class WeChatTag(Base):
    """A WeChat user tag this system manages (audience → tag id), with the last sync result."""

    __tablename__ = "wechat_tag"
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    tag_id: Mapped[int]
    member_count: Mapped[int] = mapped_column(default=0)
    synced_at: Mapped[Optional[dt.datetime]]
