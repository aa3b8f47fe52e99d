"""Waiting for a device: the queue per town and device, and the offer when one comes back (first to reserve gets it)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.aids.models import WAITING, AidStation, AidStock, AidWait
from bot.calendar_cn import local_date
from bot.outbox.notify import notify


def send(session: Session, openid: str, item: str, when: str, place: str, key: str, text: str,
          owed: str, ref: str) -> None:
    fields = {"item": item[:20], "time": when[:20], "place": place[:20]}
    notify(session, openid, "booking_reminder", fields, dedupe_key=key, text_fallback=text,
           source="aids", owed=owed, owed_ref=ref)


def join_wait(session: Session, openid: str, resident_key: str, device: str, town: str) -> AidWait:
    """Queue the resident for a device in a town (idempotent: asking again keeps the place)."""
    def mine():
        return session.scalar(select(AidWait).where(AidWait.resident_key == resident_key,
                                                    AidWait.device == device, AidWait.status.in_(WAITING)))
    entry = mine()
    if entry is not None:
        return entry
    try:
        with session.begin_nested():
            entry = AidWait(openid=openid, resident_key=resident_key, device=device, town=town, status="waiting")
            session.add(entry)
            session.flush()
    except IntegrityError:
        entry = mine()
    return entry


def position(session: Session, entry: AidWait) -> int:
    return 1 + len(session.scalars(select(AidWait.id).where(
        AidWait.device == entry.device, AidWait.town == entry.town, AidWait.status.in_(WAITING),
        AidWait.id < entry.id)).all())


def close_wait(session: Session, resident_key: str, device: str) -> None:
    """Someone who reserved no longer waits for that device."""
    for entry in session.scalars(select(AidWait).where(AidWait.resident_key == resident_key,
                                                       AidWait.device == device, AidWait.status.in_(WAITING))):
        entry.status = "done"


def offer_device(session: Session, stock_id: int, now: dt.datetime) -> AidWait | None:
    """A device came back: tell the first one waiting in that town (not held: first to reserve gets it)."""
    stock = session.get(AidStock, stock_id)
    station = session.get(AidStation, stock.station_id)
    entry = session.scalar(select(AidWait).where(AidWait.device == stock.device, AidWait.town == station.town,
                                                 AidWait.status == "waiting").order_by(AidWait.id).limit(1))
    if entry is None:
        return None
    entry.status, entry.offered_at = "offered", now
    text = (f"您登记等候的{stock.device}有了：{station.name}。\n先预约先得。\n"
            f"要借，请回复“借{stock.device}”。")
    send(session, entry.openid, f"{stock.device}可以借了", local_date(now).isoformat(), station.name,
          f"aids:wait:{entry.id}:offer:{int(now.timestamp())}", text, "辅具候补有空", f"aid_wait:{entry.id}")
    return entry
