"""Sharing stations, their stock per device type, loans (reservation → pick-up → return) and waitlists."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

# Only these two hold a device; the others are history.
HOLDING = ("reserved", "picked_up")
LOAN_STATUSES = ("reserved", "picked_up", "returned", "damaged", "expired", "cancelled")
WAITING = ("waiting", "offered")
_HOLDING_SQL = text("status IN ('reserved', 'picked_up')")
_WAITING_SQL = text("status IN ('waiting', 'offered')")


class AidStation(Base):
    """One 共享辅具驿站; address, hours and phone stay empty ("待公布") until staff fill them."""

    __tablename__ = "aid_station"
    id: Mapped[int] = mapped_column(primary_key=True)
    town: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    hours: Mapped[Optional[str]] = mapped_column(String(100))
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AidStock(Base):
    """How many of one device type a station has; `available` changes only by conditional UPDATEs."""

    __tablename__ = "aid_stock"
    # The last line of defence: even a buggy code path cannot lend a device the station does not have.
    __table_args__ = (CheckConstraint("available >= 0 AND available <= count", name="ck_aid_stock_available"),
                      UniqueConstraint("station_id", "device", name="uq_aid_stock_device"))
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("aid_station.id"))
    device: Mapped[str] = mapped_column(String(16))  # 轮椅, 助行器, 坐便椅, 护理床, 拐杖
    count: Mapped[int] = mapped_column(default=0)
    available: Mapped[int] = mapped_column(default=0)
    condition: Mapped[Optional[str]] = mapped_column(String(200))
    max_days: Mapped[int] = mapped_column(default=90)


class AidLoan(Base):
    """A reservation that becomes a loan when staff mark it picked up."""

    __tablename__ = "aid_loan"
    __table_args__ = (
        # One device of a type at a time per person, enforced by the database (double taps, two phones).
        Index("uq_aid_loan_active", "resident_key", "device", unique=True,
              sqlite_where=_HOLDING_SQL, postgresql_where=_HOLDING_SQL),
        Index("ix_aid_loan_status", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    resident_key: Mapped[str] = mapped_column(String(80))
    device: Mapped[str] = mapped_column(String(16))
    station_id: Mapped[int] = mapped_column(ForeignKey("aid_station.id"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("aid_stock.id"))
    status: Mapped[str] = mapped_column(String(16), default="reserved")
    pickup_by: Mapped[dt.date] = mapped_column(Date)  # local day; after it the reservation expires
    due: Mapped[Optional[dt.date]] = mapped_column(Date)  # set at pick-up: pick-up day + max_days
    picked_up_at: Mapped[Optional[dt.datetime]]
    ended_at: Mapped[Optional[dt.datetime]]
    extended: Mapped[bool] = mapped_column(default=False)  # once per loan, by the resident in chat
    reminded_on: Mapped[Optional[dt.date]] = mapped_column(Date)  # last reminder day (one a day at most)
    marked_by: Mapped[Optional[str]] = mapped_column(String(64))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AidWait(Base):
    """Waiting for a device type in a town; the first returned one is offered in order."""

    __tablename__ = "aid_wait"
    __table_args__ = (Index("uq_aid_wait_active", "resident_key", "device", unique=True,
                            sqlite_where=_WAITING_SQL, postgresql_where=_WAITING_SQL),)
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    resident_key: Mapped[str] = mapped_column(String(80))
    device: Mapped[str] = mapped_column(String(16))
    town: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting|offered|done|closed
    offered_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
