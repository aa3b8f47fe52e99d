"""Shared helpers for the booking tests (no tests here): residents, rounds, counting rows.

Residents are registered through the people package's public service (bot.people.registration.submit)
when its table exists; otherwise bot.booking.residents is pointed at a small in-memory registry with
the same Person contract, so the booking tests run before registration lands.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import func, inspect, select

from bot.booking import residents
from bot.booking.models import AssessmentRound, Booking
from bot.booking.rounds import create_round
from bot.db import LOCAL_TZ, get_engine, utcnow
from bot.models import OutboxMessage
from bot.wechat.reply import Reply

_serial = itertools.count(1)


def id_number(n: int) -> str:
    """A valid 18-digit ID (check digit right) born 1950, Pingyang area code."""
    first17 = f"330326195001{(n % 28) + 1:02d}{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]


@dataclass(frozen=True)
class FakePerson:
    registration_id: int
    openid: str
    name: str
    id_masked: str
    phone: str
    town: str | None
    address: str | None
    disability_category: int | None
    relation: str = "本人"


class FakePeople:
    """Stands in for bot.people.api: registered_person, start_registration, set_address."""

    def __init__(self):
        self.people: dict[str, FakePerson] = {}
        self.registration_asked: list[str | None] = []

    def registered_person(self, session, data_key, openid):
        return self.people.get(openid)

    def start_registration(self, ctx, then=None):
        self.registration_asked.append(then)
        return Reply(text="请先注册。", meta={"kind": "command"})

    def set_address(self, session, data_key, openid, address):
        person = self.people.get(openid)
        if person:
            self.people[openid] = FakePerson(**{**person.__dict__, "address": address})
        return person is not None


class Registry:
    """register(openid, town=…, address=…): a registered resident, real or fake."""

    def __init__(self, services, monkeypatch):
        self.services = services
        tables = inspect(get_engine(services.settings.database_url)).get_table_names()
        self.real = "registration" in tables
        self.fake = None if self.real else FakePeople()
        if self.fake is not None:
            monkeypatch.setattr(residents, "_api", lambda: self.fake)

    def register(self, openid: str, name: str = "张三", town: str | None = "鳌江镇", address: str | None = None,
                 phone: str | None = None) -> None:
        n = next(_serial)
        phone = phone or f"1380000{n:04d}"
        ident = id_number(n)
        if self.fake is not None:
            from bot.privacy.pii import mask_id
            self.fake.people[openid] = FakePerson(n, openid, name, mask_id(ident), phone, town, address, None)
            return
        from bot.people import api, registration
        key = self.services.settings.data_key
        with self.services.sessions.begin() as session:
            registration.submit(session, key, openid, registration.Draft(
                relation="本人", name=name, id_number=ident, cert_number=None, phone=phone, town=town))
            if address:
                api.set_address(session, key, openid, address)


def visit_day(days: int = 5) -> dt.date:
    return utcnow().astimezone(LOCAL_TZ).date() + dt.timedelta(days=days)


def add_round(services, capacity: int = 3, towns=("鳌江镇",), days: int = 5, **kw) -> int:
    with services.sessions.begin() as session:
        return create_round(session, date=visit_day(days), towns=list(towns), capacity=capacity,
                            actor="test", **kw).id


def get_round(services, round_id: int) -> AssessmentRound:
    with services.sessions() as session:
        return session.get(AssessmentRound, round_id)


def count(services, model, **where) -> int:
    with services.sessions() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalar(query)


def active(services, round_id: int | None = None) -> int:
    return count(services, Booking, status="booked", **({"round_id": round_id} if round_id else {}))


def outbox_texts(services, openid: str) -> list[str]:
    with services.sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.openid == openid)
                               .order_by(OutboxMessage.id))
        return [r.payload.get("text", {}).get("content", "") for r in rows]


def book_by_chat(chat, openid: str, pick: str = "1", address: str = "鳌江镇新河村 12 号") -> list:
    """Walk the booking flow up to (not including) the confirmation; returns the replies."""
    replies = [chat("预约评残", openid=openid), chat("1", openid=openid), chat("4", openid=openid),
               chat(address, openid=openid), chat("1", openid=openid), chat(pick, openid=openid)]
    return replies

