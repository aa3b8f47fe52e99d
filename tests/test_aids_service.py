"""Lending assistive devices: race-free reservations, pick-up, return, damage, expiry and the waitlist."""
from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.aids import service
from bot.aids.models import AidLoan, AidStock, AidWait
from bot.aids.notices import expire_pickups
from bot.aids.waitlist import join_wait
from bot.models import OutboxMessage


def add_wheelchairs(services, count=2, town="鳌江镇"):
    with services.sessions.begin() as s:
        station = service.add_station(s, town, f"{town[:2]}共享辅具驿站")
        return service.set_stock(s, station.id, "轮椅", count).id


def stock_of(services, stock_id):
    with services.sessions() as s:
        row = s.get(AidStock, stock_id)
        return row.available, row.count


def test_ten_residents_reserving_the_last_two_wheelchairs_get_exactly_two(services):
    stock_id = add_wheelchairs(services, count=2)
    barrier = threading.Barrier(10)

    def attempt(i):
        barrier.wait()
        try:
            with services.sessions.begin() as s:
                return service.reserve(s, stock_id, f"o_aid{i}", f"wx:o_aid{i}").code
        except service.AidError as exc:
            return exc.code
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(attempt, range(10)))
    assert sum(r.startswith("J") for r in results) == 2, results
    assert results.count("none_left") == 8, results
    assert stock_of(services, stock_id) == (0, 2)


def test_one_person_double_tapping_holds_one_wheelchair(services):
    stock_id = add_wheelchairs(services, count=5)
    barrier = threading.Barrier(6)

    def attempt(_i):
        barrier.wait()
        try:
            with services.sessions.begin() as s:
                return service.reserve(s, stock_id, "o_tap", "wx:o_tap").code
        except service.AidError as exc:
            return exc.code
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert sum(r.startswith("J") for r in results) == 1, results
    assert stock_of(services, stock_id) == (4, 5)


def test_the_database_refuses_overlending_and_a_second_active_loan(services):
    stock_id = add_wheelchairs(services, count=1)
    with services.sessions.begin() as s:
        loan = service.reserve(s, stock_id, "o_db", "wx:o_db")
        station_id = loan.station_id
    with pytest.raises(IntegrityError), services.sessions.begin() as s:
        s.add(AidLoan(code="JZZZZZ", openid="o_db", resident_key="wx:o_db", device="轮椅", station_id=station_id,
                      stock_id=stock_id, status="picked_up", pickup_by=dt.date.today()))
    with pytest.raises(IntegrityError), services.sessions.begin() as s:
        s.get(AidStock, stock_id).available = 2


def test_pick_up_sets_the_due_date_return_puts_it_back_damage_takes_it_out(services):
    stock_id = add_wheelchairs(services, count=2)
    with services.sessions.begin() as s:
        a = service.reserve(s, stock_id, "o_a", "wx:o_a").code
        b = service.reserve(s, stock_id, "o_b", "wx:o_b").code
        loan = service.mark(s, a, "picked_up", "wang")
        assert loan.due == service.today() + dt.timedelta(days=90)
        with pytest.raises(service.AidError):
            service.mark(s, a, "picked_up", "wang")  # twice: nothing changes
    assert stock_of(services, stock_id) == (0, 2)
    with services.sessions.begin() as s:
        service.mark(s, a, "returned", "wang")
        service.mark(s, b, "damaged", "wang")
    assert stock_of(services, stock_id) == (1, 1)
    with services.sessions.begin() as s:  # staff cannot count fewer than are lent out
        service.reserve(s, stock_id, "o_c", "wx:o_c")
        with pytest.raises(service.AidError):
            service.set_stock(s, s.get(AidStock, stock_id).station_id, "轮椅", 0)


def test_an_expired_pick_up_frees_the_wheelchair_for_the_first_one_waiting(services):
    stock_id = add_wheelchairs(services, count=1)
    with services.sessions.begin() as s:
        service.reserve(s, stock_id, "o_late", "wx:o_late")
        first = join_wait(s, "o_w1", "wx:o_w1", "轮椅", "鳌江镇").id
        join_wait(s, "o_w2", "wx:o_w2", "轮椅", "鳌江镇")
        assert join_wait(s, "o_w1", "wx:o_w1", "轮椅", "鳌江镇").id == first  # asking again keeps the place
    now = dt.datetime.now(dt.timezone.utc)
    assert expire_pickups(services.sessions, now) == 0
    assert expire_pickups(services.sessions, now + dt.timedelta(days=service.PICKUP_DAYS + 1)) == 1
    assert stock_of(services, stock_id) == (1, 1)
    with services.sessions() as s:
        assert s.scalar(select(AidLoan.status).where(AidLoan.openid == "o_late")) == "expired"
        statuses = dict(s.execute(select(AidWait.openid, AidWait.status)).all())
        assert statuses == {"o_w1": "offered", "o_w2": "waiting"}
        offer = s.scalar(select(OutboxMessage).where(OutboxMessage.openid == "o_w1"))
        assert "借轮椅" in offer.payload["text"]["content"] and offer.owed == "辅具候补有空"
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_an_offer_not_taken_up_lapses_and_the_next_one_is_told(services):
    stock_id = add_wheelchairs(services, count=1)
    with services.sessions.begin() as s:
        loan = service.reserve(s, stock_id, "o_late", "wx:o_late")
        join_wait(s, "o_w1", "wx:o_w1", "轮椅", "鳌江镇")
        join_wait(s, "o_w2", "wx:o_w2", "轮椅", "鳌江镇")
    now = dt.datetime.now(dt.timezone.utc)
    with services.sessions.begin() as s:
        service.cancel(s, loan.id, "resident:o_late", now)
    expire_pickups(services.sessions, now + dt.timedelta(hours=47))
    expire_pickups(services.sessions, now + dt.timedelta(hours=49))
    with services.sessions() as s:
        assert dict(s.execute(select(AidWait.openid, AidWait.status)).all()) == {"o_w1": "lapsed", "o_w2": "offered"}
        assert [m.openid for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))] == ["o_w1", "o_w2"]
