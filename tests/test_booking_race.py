"""Race-free booking: concurrent confirmations over real HTTP, double taps, re-deliveries, and the
service under threads. The database decides (conditional UPDATE + partial unique index)."""
from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from bot.booking import service
from bot.booking.models import AssessmentRound, Booking
from bot.booking.staff import details_of
from bot.devtools.simulate import build_xml, read_reply, signed_request
from tests.test_booking_support import Registry, active, add_round, book_by_chat, get_round


@pytest.fixture
def registry(services, monkeypatch):
    return Registry(services, monkeypatch)


def _fire(base_url, settings, messages):
    """POST every (openid, text, msg_id) at the same moment; returns the reply texts."""
    barrier = threading.Barrier(len(messages))

    def post(message):
        openid, text, msg_id = message
        query, body = signed_request(settings, build_xml(openid, "text", Content=text, msg_id=msg_id))
        barrier.wait()
        started = time.monotonic()
        resp = requests.post(f"{base_url}/wechat?{query}", data=body, timeout=60)
        # WeChat gives up after 5 s and re-delivers: every confirmation must answer well within that.
        assert resp.status_code == 200 and time.monotonic() - started < 4.5
        return read_reply(settings, resp.content)["text"]
    with ThreadPoolExecutor(len(messages)) as pool:
        return list(pool.map(post, messages))


def test_twenty_residents_confirm_at_once_for_five_places(live_server, settings, services, chat, registry):
    rid = add_round(services, capacity=5)
    people = [f"o_race{i:02d}" for i in range(20)]
    for openid in people:
        registry.register(openid)
        assert "确认" in book_by_chat(chat, openid)[-1].text
    texts = _fire(live_server, settings, [(o, "确认", str(700000 + i)) for i, o in enumerate(people)])
    assert sum("预约成功" in t for t in texts) == 5, texts
    assert sum("约走了" in t for t in texts) == 15
    assert get_round(services, rid).booked == 5 and active(services, rid) == 5


def test_one_resident_double_tapping_confirm_gets_one_booking(live_server, settings, services, chat,
                                                               registry):
    rid = add_round(services, capacity=5)
    registry.register("o_tap")
    book_by_chat(chat, "o_tap")
    texts = _fire(live_server, settings, [("o_tap", "确认", str(710000 + i)) for i in range(6)])
    assert sum("预约成功" in t for t in texts) == 1, texts
    assert all("预约成功" in t or "已经预约好了" in t for t in texts), texts
    assert get_round(services, rid).booked == 1 and active(services) == 1


def test_concurrent_re_deliveries_of_one_confirmation_book_once(live_server, settings, services, chat,
                                                                 registry):
    rid = add_round(services, capacity=5)
    registry.register("o_redeliver")
    book_by_chat(chat, "o_redeliver")
    texts = _fire(live_server, settings, [("o_redeliver", "确认", "720001")] * 3)
    assert any("预约成功" in t for t in texts)
    assert get_round(services, rid).booked == 1 and active(services) == 1


def _details(services, openid):
    return service.Details(resident_key=f"wx:{openid}", name="李四", id_masked="3303**********1234",
                           phone="13800001111", address="鳌江镇 1 号", town="鳌江镇", category=4, reason="bedridden")


def test_service_under_threads_never_overbooks_and_counters_match(services):
    """Books, cancels and reschedules from 24 threads; `booked` always equals the active rows."""
    rounds = [add_round(services, capacity=4), add_round(services, capacity=4, days=6)]
    key = services.settings.data_key

    def worker(i):
        openid = f"o_thread{i}"
        rng = random.Random(i)
        for _ in range(6):
            try:
                with services.sessions.begin() as s:
                    current = service.active_booking(s, f"wx:{openid}")
                    if current is None:
                        service.book(s, rng.choice(rounds), openid, _details(services, openid), key)
                    elif rng.random() < 0.5:
                        service.cancel(s, current.id, openid)
                    else:
                        other = rounds[1] if current.round_id == rounds[0] else rounds[0]
                        service.reschedule(s, current.id, other, openid)
            except service.BookingError:
                pass
    with ThreadPoolExecutor(24) as pool:
        list(pool.map(worker, range(24)))
    with services.sessions() as s:
        for rid in rounds:
            rnd = s.get(AssessmentRound, rid)
            rows = s.scalar(select(func.count()).select_from(Booking).where(
                Booking.round_id == rid, Booking.status == "booked"))
            assert rnd.booked == rows <= rnd.capacity
        per_resident = s.execute(select(Booking.resident_key, func.count()).where(Booking.status == "booked")
                                 .group_by(Booking.resident_key)).all()
        assert all(n == 1 for _k, n in per_resident)
        from bot.models import AuditLog
        actions = set(s.scalars(select(AuditLog.action)))
        assert {"booking.create", "booking.cancel", "booking.reschedule"} <= actions


def test_the_database_itself_refuses_a_second_active_booking(services):
    """Even bypassing book(): the partial unique index and the CHECK constraint hold."""
    from sqlalchemy.exc import IntegrityError
    rid = add_round(services, capacity=1)
    key = services.settings.data_key
    with services.sessions.begin() as s:
        first = service.book(s, rid, "o_db", _details(services, "o_db"), key)
        cols = details_of(first, key).columns(key)
    with pytest.raises(IntegrityError), services.sessions.begin() as s:
        s.add(Booking(code="ZZZZZZ", round_id=rid, openid="o_db", status="booked", **cols))
    with pytest.raises(IntegrityError), services.sessions.begin() as s:
        s.get(AssessmentRound, rid).booked = 2
