"""Who a booking is for, by ID number: one active booking per person, and the "身份未核对" flag.

The person key is a hash of the registration's keyed ID hash (bot.people), the same for every WeChat
user who registers that ID, whether or not the registry confirmed them. Staff see a booking as
unverified while its registration is not matched to the certificate registry.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.booking.models import ACTIVE, Booking
from bot.models import AuditLog
from bot.people.models import Registration

UNVERIFIED = "身份未核对"
REFUSED = "booking.same_person_refused"  # audit action: another WeChat user tried to book this person


def key_of(id_hash: str | None) -> str | None:
    return hashlib.sha256(f"person:{id_hash}".encode()).hexdigest()[:24] if id_hash else None


def _registrations(session: Session, ids) -> dict[int, tuple[str, bool]]:
    """registration id → (id_hash, linked now)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    reg = Registration
    return {i: (h, linked is not None) for i, h, linked in session.execute(
        select(reg.id, reg.id_hash, reg.linked_at).where(reg.id.in_(ids)))}


def person_booking(session: Session, person_key: str | None) -> Booking | None:
    """The active booking of this person (any WeChat user), or None."""
    if not person_key:
        return None
    return session.scalar(select(Booking).where(Booking.person_key == person_key, Booking.status == ACTIVE))


def verified(session: Session, bookings) -> dict[int, bool]:
    """booking id → identity matched to the registry (when booked, or by now)."""
    regs = _registrations(session, [b.registration_id for b in bookings])
    return {b.id: bool(b.id_verified or regs.get(b.registration_id, ("", False))[1]) for b in bookings}


def refused_attempts(session: Session, bookings) -> dict[int, int]:
    """booking id → how often another WeChat user was refused a booking for the same person."""

    targets = {f"booking:{b.id}": b.id for b in bookings}
    if not targets:
        return {}
    return {targets[t]: n for t, n in session.execute(
        select(AuditLog.target, func.count()).where(AuditLog.action == REFUSED, AuditLog.target.in_(targets))
        .group_by(AuditLog.target))}


def duplicates(session: Session, bookings) -> dict[int, list[Booking]]:
    """booking id → the person's other active bookings (made by another WeChat user, or before the
    one-per-person rule existed). Keys come from the booking, else from its registration."""
    everyone = session.scalars(select(Booking).where(Booking.status == ACTIVE)).all()
    regs = _registrations(session, [b.registration_id for b in everyone if not b.person_key])
    keys = {b.id: b.person_key or key_of(regs.get(b.registration_id, (None, False))[0]) for b in everyone}
    groups: dict[str, list[Booking]] = {}
    for b in everyone:
        if keys[b.id]:
            groups.setdefault(keys[b.id], []).append(b)
    return {b.id: [o for o in groups[keys[b.id]] if o.id != b.id] for b in bookings
            if keys.get(b.id) and len(groups[keys[b.id]]) > 1}
