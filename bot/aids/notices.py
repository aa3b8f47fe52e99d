"""Expired pick-ups and due-date reminders (through the outbox); lapsed offers pass the device on.

Ticks are idempotent: a reminder's dedupe key names the loan and the day and `reminded_on` records
it, so a restarted scheduler or a doubled tick sends nothing new. Owed messages that WeChat cannot
deliver become call tasks for staff (bot.calls).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.aids.models import WAITING, AidLoan, AidStation, AidStock, AidWait
from bot.aids.service import FORGOTTEN, cancel, today
from bot.aids.waitlist import offer_device, send
from bot.calls.tasks import settle
from bot.db import LOCAL_TZ, utcnow
from bot.privacy.audit import audit

log = logging.getLogger(__name__)
REMINDER_HOUR = 9  # local time: no reminders in the night even if the tick runs then
REMIND_BEFORE = (7, 1)  # days before the due date; every overdue day too
OFFER_HOURS = 48  # an offer not taken up by then lapses and the next one waiting is told


def _settle(session: Session, knowledge_dir: str | None, now: dt.datetime) -> None:
    if knowledge_dir:  # unreachable residents: a call task today, not after the dispatcher gives up
        settle(session, knowledge_dir, now)


def lapse_offers(session: Session, now: dt.datetime) -> int:
    """Offers nobody took up in OFFER_HOURS: that place in the queue ends and, if a device of that type
    is still free in the town, the next one waiting is told."""
    stale = session.scalars(select(AidWait).where(AidWait.status == "offered",
                                                  AidWait.offered_at < now - dt.timedelta(hours=OFFER_HOURS))).all()
    for entry in stale:
        entry.status = "lapsed"
        free = session.scalar(select(AidStock.id).join(AidStation, AidStation.id == AidStock.station_id).where(
            AidStation.town == entry.town, AidStock.device == entry.device, AidStock.available > 0).limit(1))
        if free is not None:
            offer_device(session, free, now)
    return len(stale)


def expire_pickups(sessions, now: dt.datetime | None = None, knowledge_dir: str | None = None) -> int:
    """Reservations not picked up by their day: the device goes back and is offered on; stale offers lapse."""
    now = now or utcnow()
    with sessions.begin() as session:
        lapse_offers(session, now)
        late = session.scalars(select(AidLoan.id).where(AidLoan.status == "reserved",
                                                        AidLoan.pickup_by < today(now))).all()
        for loan_id in late:
            cancel(session, loan_id, "system", now, status="expired")
        _settle(session, knowledge_dir, now)
    return len(late)


def _reminder(loan: AidLoan, station: AidStation, day: dt.date) -> str:
    left = (loan.due - day).days
    when = f"{loan.due.month}月{loan.due.day}日"
    if left > 0:
        head = f"辅具归还提醒：您借的{loan.device}应在 {when} 前还到{station.name}。"
    elif left == 0:  # "已过 0 天" would confuse: the due day is today
        head = f"辅具归还提醒：您借的{loan.device}今天 {when} 到期，请还到{station.name}。"
    else:
        head = f"辅具归还提醒：您借的{loan.device}已过归还日期 {-left} 天，应在{when}归还，请尽快还到{station.name}。"
    return (f"{head}\n借用码：{loan.code}\n还需要继续用，请回复“续借”，可以续借一次。")


def send_due_reminders(sessions, now: dt.datetime | None = None, knowledge_dir: str | None = None) -> int:
    """A week and a day before the due date, and every overdue day: one reminder per loan and day."""
    now = now or utcnow()
    local = now.astimezone(LOCAL_TZ)
    if local.hour < REMINDER_HOUR:
        return 0
    day, count = local.date(), 0
    remind_on = [day + dt.timedelta(days=n) for n in REMIND_BEFORE]
    with sessions.begin() as session:
        rows = session.execute(select(AidLoan, AidStation).join(AidStation, AidStation.id == AidLoan.station_id)
                               .where(AidLoan.status == "picked_up",
                                      or_(AidLoan.due.in_(remind_on), AidLoan.due < day),
                                      or_(AidLoan.reminded_on.is_(None), AidLoan.reminded_on != day))).all()
        for loan, station in rows:
            send(session, loan.openid, f"归还{loan.device}", loan.due.isoformat(), station.name,
                  f"aids:loan:{loan.id}:remind:{day.isoformat()}", _reminder(loan, station, day),
                  "辅具归还提醒", f"aid_loan:{loan.id}")
            loan.reminded_on = day
            count += 1
        _settle(session, knowledge_dir, now)
    return count


def forget(session: Session, openid: str) -> int:
    """"删除我的信息": cancel active reservations, close waits; ended loans keep no openid (statistics stay)."""
    ended = 0
    for loan in session.scalars(select(AidLoan).where(AidLoan.openid == openid, AidLoan.status == "reserved")):
        cancel(session, loan.id, "resident")
        ended += 1
    lent = session.scalars(select(AidLoan.id).where(AidLoan.openid == openid, AidLoan.status == "picked_up")).all()
    for loan_id in lent:  # the station still needs the device back: the openid goes when it returns
        session.get(AidLoan, loan_id).note = FORGOTTEN
    for model in (AidWait,):
        for entry in session.scalars(select(model).where(model.openid == openid)):
            entry.status = "closed" if entry.status in WAITING else entry.status
            entry.openid, entry.resident_key = "-", f"-{entry.id}"
    for loan in session.scalars(select(AidLoan).where(AidLoan.openid == openid, AidLoan.id.not_in(lent))):
        loan.openid, loan.resident_key = "-", f"-{loan.id}"
    for loan in session.scalars(select(AidLoan).where(AidLoan.marked_by == f"resident:{openid}")):
        loan.marked_by = "resident"
    audit(session, "resident", "aids.forget", None, ended=ended, still_lent=len(lent))
    return ended
