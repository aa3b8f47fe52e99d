"""Booking integrity: one active booking per person (ID number) across WeChat users, and bookings by
registrations the certificate registry did not confirm flagged "身份未核对" for staff."""
from __future__ import annotations

import io
import threading

import openpyxl
import pytest
import requests
from sqlalchemy import select, update

from bot.booking import staff as booking_staff
from bot.booking.export import route_sheet
from bot.booking.models import Booking
from bot.devtools.simulate import build_xml, read_reply, signed_request
from tests.test_booking_support import active, add_round, book_by_chat
from tests.test_people_helpers import load, make_id, record, register

pytestmark = pytest.mark.knowledge_copy


REAL, STRANGER = "o_real", "o_stranger"


class Http:
    """chat(text, openid=…) over signed XML POSTed to /wechat (the helpers' calling convention)."""

    def __init__(self, wechat_http):
        self.wechat_http = wechat_http

    def __call__(self, text, openid=None):
        return type("R", (), {"text": self.wechat_http.text(text, openid=openid)["text"]})()


@pytest.fixture
def http(wechat_http):
    return Http(wechat_http)


def _person_in_registry(services, seq: int) -> str:
    id18 = make_id(seq)
    load(services, [record(id_number=id18, name="张三", phone="13812345678")])
    return id18


def _rows(services, rid):
    with services.sessions.begin() as s:
        return {r["name"]: r for r in booking_staff.list_bookings(s, services.settings.data_key, rid, "test")}


def test_same_id_from_a_second_wechat_user_is_refused_politely(services, http):
    id18 = _person_in_registry(services, 501)
    rid = add_round(services, capacity=5)
    assert "注册成功" in register(http, "张三", id18, phone="13812345678", openid=REAL).text
    book_by_chat(http, REAL)
    assert "预约成功" in http("确认", openid=REAL).text
    # Someone else registers the same ID with wrong phone digits: unmatched, as designed.
    assert "注册成功" in register(http, "张三", id18, phone="13800009999", openid=STRANGER).text
    reply = http("预约评残", openid=STRANGER).text
    assert "这位居民已经预约了" in reply and "不能重复预约" in reply and "转人工" in reply
    with services.sessions() as s:
        mine = s.scalar(select(Booking).where(Booking.openid == REAL))
    assert mine.code not in reply and "新河村" not in reply  # nothing about who booked or where
    assert active(services, rid) == 1
    [row] = _rows(services, rid).values()  # staff see the refused attempt next to the booking
    assert row["refused"] == 1 and "被拒 1 次" in row["flags"] and not row["unverified"]


def test_unmatched_registration_is_flagged_on_round_page_and_route_sheet(app, services, http, console):
    id18 = _person_in_registry(services, 502)
    rid = add_round(services, capacity=5)
    register(http, "张三", id18, phone="13812345678", openid=REAL)
    register(http, "李四", make_id(503), phone="13800007777", openid=STRANGER)  # no registry record
    for openid in (REAL, STRANGER):
        book_by_chat(http, openid)
        assert "预约成功" in http("确认", openid=openid).text
    rows = _rows(services, rid)
    assert rows["李四"]["unverified"] and not rows["张三"]["unverified"]
    page = console("reader").get(f"/admin/rounds/{rid}").text
    stranger_row = next(tr for tr in page.split("<tr>") if "李四" in tr)
    real_row = next(tr for tr in page.split("<tr>") if "张三" in tr)
    assert "身份未核对" in stranger_row and "身份未核对" not in real_row
    with services.sessions.begin() as s:
        sheet = openpyxl.load_workbook(io.BytesIO(route_sheet(s, services.settings.data_key, rid, "test")))
    lines = {row[2]: row for row in sheet["路线表"].iter_rows(min_row=3, values_only=True)}
    assert "身份未核对" in (lines["李四"][10] or "") and "身份未核对" not in (lines["张三"][10] or "")


def test_a_duplicate_from_before_the_rule_is_shown_to_staff_with_a_warning(app, services, http, console):
    rid, other = add_round(services, capacity=5), add_round(services, capacity=5, days=8)
    id18 = make_id(504)
    register(http, "王五", id18, phone="13800001234", openid=REAL)
    book_by_chat(http, REAL)
    http("确认", openid=REAL)
    with services.sessions.begin() as s:  # as rows made before the rule looked: no person key
        s.execute(update(Booking).values(person_key=None))
    register(http, "王五", id18, phone="13800004321", openid=STRANGER)
    book_by_chat(http, STRANGER, pick="2")
    assert "预约成功" in http("确认", openid=STRANGER).text
    page = console("reader").get(f"/admin/rounds/{rid}").text
    assert "同一身份证另有预约" in page
    other_page = console("reader").get(f"/admin/rounds/{other}").text
    assert "同一身份证另有预约" in other_page


def test_two_wechat_users_with_one_id_confirming_at_once_get_one_booking(live_server, settings, services,
                                                                         http):
    rid = add_round(services, capacity=5)
    id18 = make_id(505)
    users = [f"o_twin{i}" for i in range(4)]
    for i, openid in enumerate(users):
        register(http, "赵六", id18, phone=f"1380000{i:04d}", openid=openid)
        assert "确认" in book_by_chat(http, openid)[-1].text
    barrier = threading.Barrier(len(users))

    def confirm(i_openid):
        i, openid = i_openid
        query, body = signed_request(settings, build_xml(openid, "text", Content="确认", msg_id=str(880000 + i)))
        barrier.wait()
        resp = requests.post(f"{live_server}/wechat?{query}", data=body, timeout=60)
        return read_reply(settings, resp.content)["text"]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(users)) as pool:
        texts = list(pool.map(confirm, enumerate(users)))
    assert sum("预约成功" in t for t in texts) == 1, texts
    assert sum("这位居民已经预约了" in t for t in texts) == len(users) - 1, texts
    assert active(services, rid) == 1


def test_migration_keeps_duplicates_made_before_the_rule_visible(tmp_path):
    """0012 backfills person keys from registrations; a person's second active booking keeps none so
    the unique index can be built, and staff still see both with the warning."""
    from sqlalchemy import create_engine, text

    from bot import migrate
    from bot.config import Settings
    from bot.db import dispose_all, session_factory

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(Settings(database_url=url), "0007_merge_event_window")
    engine = create_engine(url)
    now = "2026-11-01 00:00:00"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO assessment_round (id, date, towns, capacity, booked, categories, window_start, window_end,"
            " cutoff_hours, status, version, created_at, updated_at) VALUES (1, '2099-01-05', '[\"鳌江镇\"]', 5, 2,"
            " '[]', :t, '2099-01-04 00:00:00', 12, 'open', 1, :t, :t)"), {"t": now})
        for i, (openid, linked) in enumerate((("o_a", now), ("o_b", None)), 1):
            conn.execute(text(
                "INSERT INTO registration (id, openid, relation, id_hash, id_enc, name_enc, phone_enc, linked_at,"
                " created_at, updated_at) VALUES (:i, :o, '本人', 'samehash', 'x', 'x', 'x', :l, :t, :t)"),
                {"i": i, "o": openid, "l": linked, "t": now})
            conn.execute(text(
                "INSERT INTO booking (id, code, round_id, openid, resident_key, registration_id, reason, status,"
                " created_at, updated_at) VALUES (:i, :c, 1, :o, :k, :i, 'bedridden', 'booked', :t, :t)"),
                {"i": i, "c": f"CODE{i}", "o": openid, "k": f"wx:{openid}", "t": now})
    engine.dispose()
    migrate.upgrade(Settings(database_url=url))
    with session_factory(url)() as s:
        first, second = s.scalars(select(Booking).order_by(Booking.id)).all()
        assert first.person_key and second.person_key is None
        assert first.id_verified and not second.id_verified
        from bot.booking import identity
        twins = identity.duplicates(s, [first, second])
        assert [b.code for b in twins[first.id]] == ["CODE2"] and [b.code for b in twins[second.id]] == ["CODE1"]
    dispose_all()
