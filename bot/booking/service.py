"""Book, cancel and reschedule without races, on SQLite and PostgreSQL alike.

A place is taken only by `UPDATE … SET booked = booked + 1 WHERE booked < capacity`, which the
database serialises per round row; the partial unique index on booking(resident_key) WHERE status='booked'
stops a second active booking even when two confirmations of one resident run at once, and the one
on booking(person_key) does the same for one person (ID number) booked by two WeChat users. Both
happen inside one SAVEPOINT, so a lost race undoes the increment and the message's transaction
still commits a friendly answer. Nothing here talks to WeChat: notices go to the outbox.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.privacy.audit import audit
from bot.booking.identity import person_booking
from bot.booking.models import ACTIVE, WAITING, AssessmentRound, Booking, Waitlist
from bot.booking.rounds import cancel_deadline, serves
from bot.booking.waitlist import close_for, offer_place
from bot.db import utcnow
from bot.privacy.pii import encrypt

log = logging.getLogger(__name__)
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


class BookingError(Exception):
    """Why a booking change did not happen: full, closed, already_booked, not_found, too_late, …"""

    def __init__(self, code: str, booking: Booking | None = None):
        super().__init__(code)
        self.code, self.booking = code, booking


@dataclass(frozen=True)
class Details:
    """What the resident told us; name/phone/address are encrypted before they are stored."""

    resident_key: str
    name: str
    id_masked: str
    phone: str
    address: str
    town: str | None
    category: int | None
    reason: str
    reason_note: str | None = None
    registration_id: int | None = None
    person_key: str | None = None  # the person by ID number (bot.booking.identity), any WeChat user
    id_verified: bool = False  # the registration matched the certificate registry

    def columns(self, data_key: str) -> dict:
        return {"resident_key": self.resident_key, "registration_id": self.registration_id,
                "person_key": self.person_key, "id_verified": self.id_verified,
                "name_enc": encrypt(data_key, self.name), "id_masked": self.id_masked,
                "phone_enc": encrypt(data_key, self.phone), "address_enc": encrypt(data_key, self.address),
                "town": self.town, "category": self.category, "reason": self.reason,
                "reason_note": self.reason_note}


def active_booking(session: Session, resident_key: str) -> Booking | None:
    return session.scalar(select(Booking).where(Booking.resident_key == resident_key,
                                                Booking.status == ACTIVE))


def _take_place(session: Session, round_id: int, now: dt.datetime) -> bool:
    result = session.execute(
        update(AssessmentRound)
        .where(AssessmentRound.id == round_id, AssessmentRound.status == "open",
               AssessmentRound.booked < AssessmentRound.capacity,
               AssessmentRound.window_start <= now, AssessmentRound.window_end > now)
        .values(booked=AssessmentRound.booked + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _free_place(session: Session, round_id: int) -> None:
    session.execute(update(AssessmentRound).where(AssessmentRound.id == round_id, AssessmentRound.booked > 0)
                    .values(booked=AssessmentRound.booked - 1).execution_options(synchronize_session=False))


def _lock_rounds(session: Session, *round_ids: int) -> None:
    """Row-lock rounds in id order before touching bookings, so a reschedule A→B and one B→A (or a
    cancel racing a reschedule) queue up instead of deadlocking. SQLite: BEGIN IMMEDIATE did it."""
    session.execute(select(AssessmentRound.id).where(AssessmentRound.id.in_(sorted(set(round_ids))))
                    .order_by(AssessmentRound.id).with_for_update())


def _refresh(session: Session, *objs) -> None:
    for obj in objs:  # counters were changed behind the ORM's back
        if obj is not None and obj in session:
            session.expire(obj, ["booked"])


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if session.scalar(select(Booking.id).where(Booking.code == code)) is None:
            return code


def book(session: Session, round_id: int, openid: str, details: Details, data_key: str,
         now: dt.datetime | None = None) -> Booking:
    """Take one place for the resident or raise BookingError (full, closed, already_booked)."""
    now = now or utcnow()
    key = details.resident_key
    existing = active_booking(session, key)
    if existing is not None:
        raise BookingError("already_booked", existing)
    twin = person_booking(session, details.person_key)
    if twin is not None:  # the same ID number booked by another WeChat user
        raise BookingError("person_booked", twin)
    rnd = session.get(AssessmentRound, round_id)
    if rnd is None or rnd.status != "open" or not (rnd.window_start <= now < rnd.window_end):
        raise BookingError("closed")
    if not serves(rnd, details.town, details.category):
        raise BookingError("not_eligible")
    try:
        with session.begin_nested():
            if not _take_place(session, round_id, now):
                raise BookingError("full")
            booking = Booking(code=_new_code(session), round_id=round_id, openid=openid, status=ACTIVE,
                              **details.columns(data_key))
            session.add(booking)
            session.flush()
    except IntegrityError:
        # Another confirmation of the same resident won (a double tap or a re-delivery), or another
        # WeChat user booked the same person at the same moment (the person index).
        log.info("duplicate booking attempt for round %s refused by a unique index", round_id)
        raise _lost_to_twin(session, key, details.person_key) from None
    except BookingError:
        # A concurrent twin may have taken the last place.
        raise _lost_to_twin(session, key, details.person_key, default="full") from None
    finally:
        _refresh(session, rnd)
    close_for(session, key)
    audit(session, f"resident:{openid}", "booking.create", f"booking:{booking.id}", round=round_id)
    return booking


def _lost_to_twin(session: Session, key: str, person_key: str | None,
                  default: str = "already_booked") -> BookingError:
    existing = active_booking(session, key)
    if existing is not None:
        return BookingError("already_booked", existing)
    twin = person_booking(session, person_key)
    return BookingError("person_booked", twin) if twin is not None else BookingError(default)


def cancel(session: Session, booking_id: int, actor: str, reason: str | None = None,
           now: dt.datetime | None = None, enforce_cutoff: bool = True) -> Booking:
    """End an active booking (conditional on it still being active) and free its place."""
    now = now or utcnow()
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found")
    _lock_rounds(session, booking.round_id)
    rnd = session.get(AssessmentRound, booking.round_id)
    if enforce_cutoff and booking.status == ACTIVE and now >= cancel_deadline(rnd):
        raise BookingError("too_late", booking)
    done = session.execute(update(Booking).where(Booking.id == booking_id, Booking.status == ACTIVE).values(
        status="cancelled", status_reason=(reason or "")[:200] or None, marked_by=actor[:64], marked_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(booking)
    if done != 1:  # a double tap on "取消" or a staff mark in between: nothing to free twice
        raise BookingError("not_active", booking)
    _free_place(session, booking.round_id)
    _refresh(session, rnd)
    audit(session, actor, "booking.cancel", f"booking:{booking.id}", round=booking.round_id, reason=reason)
    offer_place(session, rnd, now)
    return booking


def reschedule(session: Session, booking_id: int, new_round_id: int, actor: str,
               now: dt.datetime | None = None) -> Booking:
    """Move an active booking to another round in one transaction: new place taken, old freed."""
    now = now or utcnow()
    booking = session.get(Booking, booking_id)
    if booking is None or booking.status != ACTIVE:
        raise BookingError("not_active", booking)
    _lock_rounds(session, booking.round_id, new_round_id)
    old = session.get(AssessmentRound, booking.round_id)
    new = session.get(AssessmentRound, new_round_id)
    if new is None or new.id == old.id or not serves(new, booking.town, booking.category):
        raise BookingError("not_eligible", booking)
    if now >= cancel_deadline(old):
        raise BookingError("too_late", booking)
    with session.begin_nested():
        if not _take_place(session, new.id, now):
            _refresh(session, new)
            raise BookingError("full" if new.status == "open" else "closed", booking)
        moved = session.execute(update(Booking).where(Booking.id == booking.id, Booking.status == ACTIVE,
                                                      Booking.round_id == old.id)
                                .values(round_id=new.id, moved_from_round_id=old.id, reminded_for=None)
                                .execution_options(synchronize_session=False)).rowcount
        if moved != 1:  # a concurrent change got there first: give the new place back
            raise BookingError("not_active", booking)
        _free_place(session, old.id)
    _refresh(session, old, new)
    session.refresh(booking)
    audit(session, actor, "booking.reschedule", f"booking:{booking.id}", old=old.id, new=new.id)
    offer_place(session, old, now)
    return booking


def forget_resident(session: Session, openid: str) -> int:
    """"Delete my data": end this WeChat user's active bookings (places freed, waitlist told) and
    blank the personal fields of every booking and waitlist row; statuses stay for statistics."""
    ended = 0
    mine = session.scalars(select(Booking).where(Booking.openid == openid, Booking.status == ACTIVE)).all()
    for booking in mine:
        cancel(session, booking.id, "resident", "本人删除个人信息", enforce_cutoff=False)
        ended += 1
    session.execute(update(Waitlist).where(Waitlist.openid == openid, Waitlist.status.in_(WAITING))
                    .values(status="closed").execution_options(synchronize_session=False))
    session.execute(update(Booking).where(Booking.marked_by == f"resident:{openid}")
                    .values(marked_by="resident")
                    .execution_options(synchronize_session=False))
    # The openid and resident key go too (rows stay for statistics): "-" is nobody.
    blank = {"name_enc": None, "phone_enc": None, "address_enc": None, "id_masked": None, "reason_note": None,
             "openid": "-", "resident_key": "-"}
    for model in (Booking, Waitlist):
        session.execute(update(model).where(model.openid == openid).values(**blank)
                        .execution_options(synchronize_session=False))
    audit(session, "resident", "booking.forget", None, ended=ended)
    return ended
