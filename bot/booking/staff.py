"""What the staff console calls: the per-round list with filters, and marking visit outcomes.

Rows are decrypted here, for staff only; every read of the list and every mark is audited.
"""
from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking import identity
from bot.booking.models import ACTIVE, AssessmentRound, Booking, Waitlist
from bot.booking.reminders import notify_booking_cancelled
from bot.booking.rounds import CATEGORIES, describe
from bot.booking.service import BookingError, Details, cancel
from bot.db import utcnow
from bot.privacy.audit import audit
from bot.privacy.pii import decrypt

log = logging.getLogger(__name__)
REASONS = {"bedridden": "卧床", "immobile": "行动不便", "mental": "精神类无法出门", "other": "其他"}
STATUS_LABELS = {"booked": "已预约", "cancelled": "已取消", "round_cancelled": "场次取消", "visited": "已上门",
                 "not_home": "不在家", "missed": "未登记（已过期）"}
# Outcomes staff record after (or instead of) the visit.
MARKS = ("visited", "not_home", "cancelled")


def details_of(row, data_key: str) -> Details:
    """The decrypted snapshot of a booking or waitlist entry."""
    return Details(resident_key=row.resident_key, name=decrypt(data_key, row.name_enc) or "",
                   id_masked=row.id_masked or "", phone=decrypt(data_key, row.phone_enc) or "",
                   address=decrypt(data_key, row.address_enc) or "",
                   town=row.town, category=row.category, reason=row.reason, reason_note=row.reason_note,
                   registration_id=row.registration_id, person_key=row.person_key,
                   id_verified=bool(row.id_verified))


def reason_label(row) -> str:
    label = REASONS.get(row.reason, row.reason or "")
    return f"{label}：{row.reason_note}" if row.reason_note else label


def booking_row(booking: Booking, data_key: str) -> dict:
    d = details_of(booking, data_key)
    return {"id": booking.id, "code": booking.code, "round_id": booking.round_id, "name": d.name,
            "id_masked": d.id_masked, "phone": d.phone, "address": d.address, "town": d.town or "",
            "category": CATEGORIES.get(d.category, "不清楚"), "category_code": d.category,
            "reason": reason_label(booking), "status": booking.status,
            "status_label": STATUS_LABELS.get(booking.status, booking.status),
            "status_reason": booking.status_reason or "", "booked_at": booking.created_at}


def list_bookings(session: Session, data_key: str, round_id: int, actor: str, *, status: str | None = None,
                  town: str | None = None, category: int | None = None, search: str | None = None,
                  include_inactive: bool = True, audited: bool = True) -> list[dict]:
    """Bookings of one round for staff, sorted by town then address (a sensible visiting order)."""
    query = select(Booking).where(Booking.round_id == round_id)
    if status:
        query = query.where(Booking.status == status)
    elif not include_inactive:
        query = query.where(Booking.status == ACTIVE)
    if town:
        query = query.where(Booking.town == town)
    if category:
        query = query.where(Booking.category == category)
    bookings = list(session.scalars(query))
    rows = [booking_row(b, data_key) for b in bookings]
    _flag_identity(session, bookings, rows)
    if search:  # name, code or phone tail; decrypted fields cannot be searched in SQL
        needle = search.strip().upper()
        rows = [r for r in rows
                if needle in r["name"].upper() or needle == r["code"] or r["phone"].endswith(needle)]
    rnd = session.get(AssessmentRound, round_id)
    order = {town: i for i, town in enumerate(rnd.towns if rnd else [])}  # staff list towns in route order
    rows.sort(key=lambda r: (r["status"] != ACTIVE, order.get(r["town"], len(order)), r["town"],
                             _natural(r["address"]), r["booked_at"]))
    if audited:
        audit(session, actor, "booking.list", f"round:{round_id}", rows=len(rows),
              filters={k: v for k, v in {"status": status, "town": town, "category": category}.items() if v})
    return rows


def _flag_identity(session: Session, bookings: list[Booking], rows: list[dict]) -> None:
    """"身份未核对" and "同一身份证另有预约" for staff (the route sheet shows them too)."""
    checked, twins = identity.verified(session, bookings), identity.duplicates(session, bookings)
    when = {r.id: describe(r) for r in session.scalars(select(AssessmentRound).where(
        AssessmentRound.id.in_({o.round_id for others in twins.values() for o in others})))} if twins else {}
    refused = identity.refused_attempts(session, bookings)
    for booking, row in zip(bookings, rows, strict=True):
        row["unverified"] = not checked[booking.id]
        row["duplicates"] = [f"{when.get(o.round_id, '')} 预约码 {o.code}" for o in twins.get(booking.id, [])]
        row["refused"] = refused.get(booking.id, 0)
        flags = ([identity.UNVERIFIED] if row["unverified"] else []) + (
            ["同一身份证另有预约：" + "；".join(row["duplicates"])] if row["duplicates"] else []) + (
            [f"另有微信号用同一身份证预约被拒 {row['refused']} 次"] if row["refused"] else [])
        row["flags"] = "；".join(flags)


def notice_refs(session: Session, round_id: int, statuses=None) -> list[str]:
    """The records owed messages about this round name ("booking:12", "waitlist:3")."""
    query = select(Booking.id).where(Booking.round_id == round_id)
    if statuses:
        query = query.where(Booking.status.in_(statuses))
    refs = [f"booking:{i}" for i in session.scalars(query)]
    if not statuses:
        refs += [f"waitlist:{i}" for i in session.scalars(select(Waitlist.id).where(Waitlist.round_id == round_id))]
    return refs


def _natural(text: str) -> list:
    """'新河村 9 号' before '新河村 12 号': digits compare as numbers."""
    parts = [p for p in re.split(r"(\d+)", text) if p]
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts]


def mark_booking(session: Session, booking_id: int, status: str, actor: str, reason: str | None = None,
                 now: dt.datetime | None = None) -> Booking:
    """Record visited / not at home / cancelled; cancelling frees the place (no cutoff for staff)."""
    if status not in MARKS:
        raise ValueError(f"status must be one of {MARKS}")
    now = now or utcnow()
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found")
    if status == "cancelled":
        if not reason:
            raise ValueError("a cancellation needs a reason")
        booking = cancel(session, booking_id, actor, reason, now=now, enforce_cutoff=False)
        notify_booking_cancelled(session, booking, session.get(AssessmentRound, booking.round_id), reason)
        return booking
    before = booking.status
    if before not in (ACTIVE, "missed", "visited", "not_home"):
        raise BookingError("not_active", booking)
    booking.status, booking.status_reason = status, (reason or "")[:200] or None
    booking.marked_by, booking.marked_at = actor[:64], now
    audit(session, actor, "booking.mark", f"booking:{booking.id}", before=before, after=status, reason=reason)
    return booking
