"""Assessment rounds, bookings and the waitlist (home disability-assessment visits, 上门评残)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

# Statuses: only "booked" holds a place; the others are history.
ACTIVE = "booked"
BOOKING_STATUSES = ("booked", "cancelled", "round_cancelled", "visited", "not_home", "missed")
WAITING = ("waiting", "offered")  # waitlist entries still in the queue


class AssessmentRound(Base):
    """One visit day of a doctor team; `booked` is only ever changed by conditional UPDATEs."""

    __tablename__ = "assessment_round"
    # The last line of defence: even a buggy code path cannot overbook.
    __table_args__ = (CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_round_places"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)  # local (Asia/Shanghai) calendar day
    towns: Mapped[list]  # town names from knowledge/towns.yaml
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    team: Mapped[Optional[str]] = mapped_column(String(100))  # doctor team, e.g. "精神科评定组"
    categories: Mapped[list] = mapped_column(default=list)  # disability category codes 1–7; [] = all
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    cutoff_hours: Mapped[int] = mapped_column(default=12)  # cancel until visit day 00:00 minus this
    note: Mapped[Optional[str]] = mapped_column(Text)  # shown to residents ("上午 9 点起")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|cancelled
    cancel_reason: Mapped[Optional[str]] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)  # bumped by edits residents are told about
    created_by: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class _Resident:
    """What the visit needs, copied from registration and the chat (name/phone/address encrypted)."""

    openid: Mapped[str] = mapped_column(String(64), index=True)  # who booked; notices go here
    # The person, not the WeChat user: family members linked to one resident share it (see residents.py).
    resident_key: Mapped[str] = mapped_column(String(80), index=True)
    registration_id: Mapped[Optional[int]]
    name_enc: Mapped[Optional[str]] = mapped_column(Text)
    id_masked: Mapped[Optional[str]] = mapped_column(String(32))
    phone_enc: Mapped[Optional[str]] = mapped_column(Text)
    address_enc: Mapped[Optional[str]] = mapped_column(Text)
    town: Mapped[Optional[str]] = mapped_column(String(32))
    category: Mapped[Optional[int]]  # 1–7, None = the resident did not know
    reason: Mapped[str] = mapped_column(String(16))  # bedridden|immobile|mental|other
    reason_note: Mapped[Optional[str]] = mapped_column(String(200))
    # The person by ID number (keyed hash), whether or not the registry confirmed the registration:
    # "one active booking per person" across WeChat users (migration 0012).
    person_key: Mapped[Optional[str]] = mapped_column(String(64))
    # The registration matched the certificate registry when booked; False shows "身份未核对" to staff.
    id_verified: Mapped[bool] = mapped_column(default=False)


class Booking(_Resident, Base):
    """A resident's place in a round; rescheduling moves the row, so the code stays the same."""

    __tablename__ = "booking"
    __table_args__ = (
        # One active booking per resident (so also per round), enforced by the database.
        Index("uq_booking_active_resident", "resident_key", unique=True,
              sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),
        Index("ix_booking_round_status", "round_id", "status"),
        # One active booking per person (ID number), whichever WeChat user books; NULLs never collide.
        Index("uq_booking_active_person", "person_key", unique=True,
              sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id"))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    status_reason: Mapped[Optional[str]] = mapped_column(String(200))
    marked_by: Mapped[Optional[str]] = mapped_column(String(64))
    marked_at: Mapped[Optional[dt.datetime]]
    moved_from_round_id: Mapped[Optional[int]]  # the round before the last reschedule
    reminded_for: Mapped[Optional[dt.date]] = mapped_column(Date)  # visit day the reminder was for
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Waitlist(_Resident, Base):
    """A resident queued for a full round; a freed place is offered to the first one waiting."""

    __tablename__ = "booking_waitlist"
    __table_args__ = (
        Index("uq_waitlist_active", "round_id", "resident_key", unique=True,
              sqlite_where=text("status IN ('waiting', 'offered')"),
              postgresql_where=text("status IN ('waiting', 'offered')")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting|offered|booked|closed
    offered_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
