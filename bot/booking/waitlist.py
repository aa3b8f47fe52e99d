"""The waitlist of a full round: join, position, a freed place offered to the first one waiting.

The place is not held for the person offered: the offer is a notice, and the first resident to confirm
gets the place through the same conditional booking as everyone else (bot.booking.service.book).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.booking.models import WAITING, AssessmentRound, Waitlist
from bot.booking.reminders import notify_waitlist_offer

log = logging.getLogger(__name__)


def _waiting(session: Session, round_id: int, resident_key: str) -> Waitlist | None:
    return session.scalar(select(Waitlist).where(
        Waitlist.round_id == round_id, Waitlist.resident_key == resident_key, Waitlist.status.in_(WAITING)))


def join(session: Session, round_id: int, openid: str, details, data_key: str) -> Waitlist:
    """Queue the resident for a full round (idempotent: a second request returns the same entry)."""
    entry = _waiting(session, round_id, details.resident_key)
    if entry is not None:
        return entry
    try:
        with session.begin_nested():
            entry = Waitlist(round_id=round_id, openid=openid, status="waiting", **details.columns(data_key))
            session.add(entry)
            session.flush()
    except IntegrityError:
        entry = _waiting(session, round_id, details.resident_key)
    return entry


def position(session: Session, entry: Waitlist) -> int:
    return 1 + len(session.scalars(select(Waitlist.id).where(
        Waitlist.round_id == entry.round_id, Waitlist.status.in_(WAITING), Waitlist.id < entry.id)).all())


def entry_for(session: Session, resident_key: str) -> Waitlist | None:
    entries = session.scalars(select(Waitlist).where(Waitlist.resident_key == resident_key,
                                                     Waitlist.status.in_(WAITING))
                              .order_by(Waitlist.id)).all()
    return min(entries, key=lambda e: e.status != "offered", default=None)  # an offer first


def offer_place(session: Session, rnd: AssessmentRound, now: dt.datetime) -> Waitlist | None:
    """A place came free: tell the first resident still waiting (the place is not held for them)."""

    if rnd.status != "open" or not (rnd.window_start <= now < rnd.window_end):
        return None
    entry = session.scalar(select(Waitlist).where(Waitlist.round_id == rnd.id, Waitlist.status == "waiting")
                           .order_by(Waitlist.id).limit(1))
    if entry is None:
        return None
    entry.status, entry.offered_at = "offered", now
    notify_waitlist_offer(session, entry, rnd)
    return entry


def close_for(session: Session, resident_key: str) -> None:
    """A resident who booked no longer waits elsewhere (one active booking per resident)."""
    for entry in session.scalars(select(Waitlist).where(Waitlist.resident_key == resident_key,
                                                        Waitlist.status.in_(WAITING))):
        entry.status = "closed"
