"""Stations, stock and loans without races, on SQLite and PostgreSQL alike.

A device is taken only by `UPDATE aid_stock SET available = available - 1 WHERE available > 0`, which
the database serialises per stock row; the partial unique index on aid_loan(resident_key, device) stops
a second active reservation of one person even when two confirmations run at once. Both happen inside
one SAVEPOINT, so a lost race undoes the decrement and the message still gets a friendly answer.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.aids.models import HOLDING, WAITING, AidLoan, AidStation, AidStock, AidWait
from bot.aids.waitlist import offer_device
from bot.booking.service import CODE_ALPHABET
from bot.calendar_cn import local_date as today  # service.today(): the aids' local day
from bot.db import utcnow
from bot.privacy.audit import audit

log = logging.getLogger(__name__)
DEVICES = ("轮椅", "助行器", "坐便椅", "护理床", "拐杖")
PICKUP_DAYS = 3  # a reservation is held this many days after today, then released
FORGOTTEN = "本人已申请删除信息：归还后删除"  # a device still out when the resident asked to be forgotten
ENDINGS = {"returned": "returned", "damaged": "damaged"}  # staff marks that give the device back (or not)


class AidError(Exception):
    """Why a change did not happen: none_left, already, not_found, not_active, bad_count."""

    def __init__(self, code: str, loan: AidLoan | None = None):
        super().__init__(code)
        self.code, self.loan = code, loan


def add_station(session: Session, town: str, name: str, address: str | None = None,
                hours: str | None = None, phone: str | None = None, actor: str = "cli") -> AidStation:
    station = AidStation(town=town, name=name, address=address or None, hours=hours or None, phone=phone or None)
    session.add(station)
    session.flush()
    audit(session, actor, "aids.station", f"aid_station:{station.id}", town=town, name=name)
    return station


def held(session: Session, stock_id: int) -> int:
    return len(session.scalars(select(AidLoan.id).where(AidLoan.stock_id == stock_id,
                                                        AidLoan.status.in_(HOLDING))).all())


def set_stock(session: Session, station_id: int, device: str, count: int, max_days: int | None = None,
              condition: str | None = None, actor: str = "cli") -> AidStock:
    """Set how many a station owns; what is lent or reserved stays counted (available = count − held)."""
    if session.get(AidStation, station_id) is None:
        raise AidError("not_found")
    stock = session.scalar(select(AidStock).where(AidStock.station_id == station_id, AidStock.device == device)
                           .with_for_update())
    if stock is None:
        stock = AidStock(station_id=station_id, device=device, count=0, available=0, max_days=90)
        session.add(stock)
        session.flush()
    busy = held(session, stock.id)
    if count < busy:
        raise AidError("bad_count")
    stock.count, stock.available = count, count - busy
    if max_days:
        stock.max_days = max_days
    if condition is not None:
        stock.condition = condition or None
    audit(session, actor, "aids.stock", f"aid_stock:{stock.id}", device=device, count=count,
          max_days=stock.max_days)
    return stock


def choices(session: Session, town: str, device: str) -> list[tuple[AidStation, AidStock]]:
    """The town's stations that lend this device, most available first."""
    rows = session.execute(select(AidStation, AidStock).join(AidStock, AidStock.station_id == AidStation.id)
                           .where(AidStation.town == town, AidStock.device == device, AidStock.count > 0)
                           .order_by(AidStock.available.desc(), AidStation.id)).all()
    return [(station, stock) for station, stock in rows]


def active_loans(session: Session, openid: str) -> list[AidLoan]:
    return list(session.scalars(select(AidLoan).where(AidLoan.openid == openid, AidLoan.status.in_(HOLDING))
                                .order_by(AidLoan.id)))


def holding(session: Session, resident_key: str, device: str) -> AidLoan | None:
    return session.scalar(select(AidLoan).where(AidLoan.resident_key == resident_key, AidLoan.device == device,
                                                AidLoan.status.in_(HOLDING)))


def _new_code(session: Session) -> str:
    while True:
        code = "J" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
        if session.scalar(select(AidLoan.id).where(AidLoan.code == code)) is None:
            return code


def _give_back(session: Session, stock_id: int) -> None:
    session.execute(update(AidStock).where(AidStock.id == stock_id, AidStock.available < AidStock.count)
                    .values(available=AidStock.available + 1).execution_options(synchronize_session=False))


def reserve(session: Session, stock_id: int, openid: str, resident_key: str,
            now: dt.datetime | None = None) -> AidLoan:
    """Hold one device for pick-up or raise AidError (none_left, already, not_found)."""
    stock = session.get(AidStock, stock_id)
    if stock is None:
        raise AidError("not_found")
    existing = holding(session, resident_key, stock.device)
    if existing is not None:
        raise AidError("already", existing)
    try:
        with session.begin_nested():
            taken = session.execute(update(AidStock).where(AidStock.id == stock_id, AidStock.available > 0)
                                    .values(available=AidStock.available - 1)
                                    .execution_options(synchronize_session=False)).rowcount
            if taken != 1:
                raise AidError("none_left")
            loan = AidLoan(code=_new_code(session), openid=openid, resident_key=resident_key, device=stock.device,
                           station_id=stock.station_id, stock_id=stock_id, status="reserved",
                           pickup_by=today(now) + dt.timedelta(days=PICKUP_DAYS))
            session.add(loan)
            session.flush()
    except IntegrityError:  # the same person's other confirmation won: the savepoint gave the device back
        log.info("second reservation of %s refused by the unique index", stock.device)
        raise AidError("already", holding(session, resident_key, stock.device)) from None
    finally:
        session.expire(stock, ["available"])
    audit(session, f"resident:{openid}", "aids.reserve", f"aid_loan:{loan.id}", code=loan.code,
          device=stock.device)
    return loan


def _end(session: Session, loan: AidLoan, status: str, actor: str, now: dt.datetime,
         give_back: bool, from_status: tuple[str, ...]) -> AidLoan:
    done = session.execute(update(AidLoan).where(AidLoan.id == loan.id, AidLoan.status.in_(from_status))
                           .values(status=status, ended_at=now, marked_by=actor[:64])
                           .execution_options(synchronize_session=False)).rowcount
    session.refresh(loan)
    if done != 1:  # a double tap or a staff mark in between: nothing to give back twice
        raise AidError("not_active", loan)
    if loan.note == FORGOTTEN:  # kept only while the device was out
        loan.openid, loan.resident_key = "-", f"-{loan.id}"
    if give_back:
        _give_back(session, loan.stock_id)
        offer_device(session, loan.stock_id, now)
    return loan


def cancel(session: Session, loan_id: int, actor: str, now: dt.datetime | None = None,
           status: str = "cancelled") -> AidLoan:
    """The resident cancels a reservation (or it expires): the device goes back and is offered on."""
    loan = session.get(AidLoan, loan_id)
    if loan is None:
        raise AidError("not_found")
    _end(session, loan, status, actor, now or utcnow(), True, ("reserved",))
    action = "aids.cancel" if status == "cancelled" else "aids.expire"
    audit(session, actor, action, f"aid_loan:{loan.id}", code=loan.code, device=loan.device)
    return loan


def mark(session: Session, code: str, status: str, actor: str, now: dt.datetime | None = None) -> AidLoan:
    """Staff: picked_up (the due date starts), returned (back in stock) or damaged (out of stock)."""
    now = now or utcnow()
    loan = session.scalar(select(AidLoan).where(AidLoan.code == code.strip().upper()))
    if loan is None:
        raise AidError("not_found")
    if status == "picked_up":
        stock = session.get(AidStock, loan.stock_id)
        due = today(now) + dt.timedelta(days=stock.max_days)
        done = session.execute(update(AidLoan).where(AidLoan.id == loan.id, AidLoan.status == "reserved")
                               .values(status="picked_up", picked_up_at=now, marked_by=actor[:64], due=due)
                               .execution_options(synchronize_session=False)).rowcount
        session.refresh(loan)
        if done != 1:
            raise AidError("not_active", loan)
    elif status in ENDINGS:
        _end(session, loan, status, actor, now, status == "returned", HOLDING)
        if status == "damaged":  # the station owns one fewer working device
            session.execute(update(AidStock).where(AidStock.id == loan.stock_id, AidStock.count > AidStock.available)
                            .values(count=AidStock.count - 1).execution_options(synchronize_session=False))
    else:
        raise AidError("bad_status")
    action = {"picked_up": "aids.picked_up", "returned": "aids.returned", "damaged": "aids.damaged"}[status]
    audit(session, actor, action, f"aid_loan:{loan.id}", code=loan.code, device=loan.device)
    return loan


def extend(session: Session, loan_id: int, actor: str, now: dt.datetime | None = None) -> AidLoan:
    """Once per loan, by the device's maximum length, unless someone in the town waits for that type."""
    loan = session.get(AidLoan, loan_id)
    if loan is None or loan.status != "picked_up":
        raise AidError("not_active", loan)
    if loan.extended:
        raise AidError("extended", loan)
    town = session.get(AidStation, loan.station_id).town
    if session.scalar(select(AidWait.id).where(AidWait.device == loan.device, AidWait.town == town,
                                               AidWait.status.in_(WAITING)).limit(1)) is not None:
        raise AidError("waited_for", loan)
    stock = session.get(AidStock, loan.stock_id)
    done = session.execute(update(AidLoan).where(AidLoan.id == loan.id, AidLoan.extended.is_(False),
                                                 AidLoan.status == "picked_up")
                           .values(extended=True, due=max(loan.due, today(now)) + dt.timedelta(days=stock.max_days))
                           .execution_options(synchronize_session=False)).rowcount
    session.refresh(loan)
    if done != 1:
        raise AidError("extended", loan)
    audit(session, actor, "aids.extend", f"aid_loan:{loan.id}", code=loan.code, device=loan.device,
          due=loan.due.isoformat())
    return loan
