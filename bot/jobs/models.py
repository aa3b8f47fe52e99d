"""Job tables: postings staff push, residents' subscriptions and views, and API tokens."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.calendar_cn import CATEGORY_NAMES
from bot.db import Base, utcnow

CATEGORIES = CATEGORY_NAMES  # a posting lists names, not codes
KINDS = ("全职", "兼职", "辅助性就业", "居家就业")
STATUSES = ("open", "withdrawn", "expired")


class JobPosting(Base):
    """One vacancy; external_id makes every push (API, import, console) an idempotent upsert."""

    __tablename__ = "job_posting"
    __table_args__ = (
        UniqueConstraint("external_id", name="uq_job_posting_external_id"),
        Index("ix_job_posting_open", "status", "valid_until"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(60))
    employer: Mapped[str] = mapped_column(String(100))
    town: Mapped[Optional[str]] = mapped_column(String(32))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    positions: Mapped[Optional[int]]  # None = 若干
    salary: Mapped[Optional[str]] = mapped_column(String(60))
    working_hours: Mapped[Optional[str]] = mapped_column(String(100))
    description: Mapped[Optional[str]] = mapped_column(Text)
    requirements: Mapped[Optional[str]] = mapped_column(Text)
    categories: Mapped[list] = mapped_column(default=list)  # subset of CATEGORIES; all seven = 不限
    accessibility: Mapped[Optional[str]] = mapped_column(Text)  # 无障碍条件
    kind: Mapped[str] = mapped_column(String(16), default="全职")
    contact_phone: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[dt.date] = mapped_column(Date)  # local (Asia/Shanghai) dates, both inclusive
    valid_until: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")
    # When residents may first hear of it: the later of creation and valid_from (the digest's cursor).
    announce_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    created_by: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    withdrawn_at: Mapped[Optional[dt.datetime]]


class JobSubscription(Base):
    """A resident's standing search (town and/or keywords); new matches arrive in a daily digest."""

    __tablename__ = "job_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    town: Mapped[Optional[str]] = mapped_column(String(32))
    keywords: Mapped[str] = mapped_column(String(100), default="")  # the search words as said
    # Postings announced after this reach the next digest; moved forward only when a digest is queued.
    notified_until: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JobView(Base):
    """A resident opened a posting's details (staff see views per posting)."""

    __tablename__ = "job_view"
    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_posting.id", ondelete="CASCADE"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for the staff API; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_token_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, so staff can tell tokens apart
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[Optional[dt.datetime]]
    revoked_at: Mapped[Optional[dt.datetime]]
