"""No whole ID or phone number at rest: a run through the real /wechat path (encrypted XML) that
registers residents by typing and by voice, asks with numbers, books, then deletes one resident;
afterwards every table, the captured logs and the SQLite file and its WAL are searched byte by byte."""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select, text

import bot.all_models  # noqa: F401 - every table in the metadata
from bot.db import Base, get_engine
from bot.privacy.pii import DIGITS
from tests.test_booking_support import add_round
from tests.test_people_helpers import load, make_id, record

A, B = "oResidentAaaa0001", "oResidentBbbb0002"
ID_A, PHONE_A = make_id(731), "13867891234"
ID_B, PHONE_B = make_id(732, born="19620315"), "15957701234"
SPOKEN = {v: k for k, v in DIGITS.items() if k in "零一二三四五六七八九"} | {"X": "叉"}
# What stays after A deleted their data, and why (see bot/privacy/forget.py): the follower row (subscription
# state), the emptied conversation row, and the claim and log row of the confirmation itself.
KEPT_FOR_A = {"follower": 1, "conversation_state": 1, "inbound_seen": 1, "message_log": 1}


def spoken(number: str) -> str:
    return "".join(SPOKEN.get(c, c) for c in number)


def secrets() -> list[str]:
    numbers = [ID_A, PHONE_A, ID_B, PHONE_B]
    return numbers + [spoken(n) for n in numbers]


def dump_rows(services) -> dict[str, list[str]]:
    """Every row of every table, all columns, as text."""
    with services.sessions() as s:
        return {t.name: [" | ".join(map(str, row)) for row in s.execute(select(t))]
                for t in Base.metadata.sorted_tables}


def voice(http, openid: str, said: str) -> dict:
    return http.send("voice", openid, True, MediaId="m1", Format="amr", Recognition=said)


def run_the_campaign(http, services, delete_a: bool = True):
    load(services, [record(name="张三", id_number=ID_A, phone=PHONE_A),
                    record(name="李四", id_number=ID_B, phone=PHONE_B)])
    add_round(services, capacity=3)
    say = lambda words, who: [http.text(w, who, encrypt=True) for w in words]  # noqa: E731
    # A types, grouped the way people type numbers.
    done = say(["注册", "1", "张三", f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}", "138-6789-1234", "鳌江"], A)[-1]
    assert "注册成功" in done["text"] and "核对一致" in done["text"]
    # B dictates everything (WeChat's voice recognition writes digits as characters).
    http.text("注册", B, encrypt=True)
    voice(http, B, "给我自己")
    voice(http, B, "李四")
    voice(http, B, f"我的身份证号是{spoken(ID_B)}")
    voice(http, B, f"电话{spoken(PHONE_B).replace('一', '幺')}")
    assert "注册成功" in voice(http, B, "鳌江")["text"]
    # Questions with numbers in them: the matcher's explain (message_log.detail) holds the question.
    say([f"我的身份证{ID_A}能办残疾证吗", f"电话{PHONE_A}找工作", "找工作 鳌江 " + PHONE_A,
         "订阅岗位 鳌江 包装"], A)
    voice(http, B, f"我的电话是{spoken(PHONE_B)}护理补贴怎么申请")
    voice(http, B, f"身份证{spoken(ID_B)}办证进度")
    # A books a home visit, typing the phone again, and asks for a person.
    booked = say(["预约评残", "1", "4", f"鳌江镇新河村 12 号 电话{PHONE_A}", PHONE_A, "1", "确认"], A)[-1]
    assert "预约成功" in booked["text"]
    http.send("event", A, True, Event="CLICK", EventKey="HUMAN")
    # B, who stays: a job search and subscription with a number in it, a booking whose reason mentions one.
    say([f"找工作 鳌江 包装 {PHONE_B}", f"订阅岗位 鳌江 {spoken(PHONE_B)}"], B)
    booked = say(["预约评残", "4", f"腿脚不便，有事打{PHONE_B}", "4", "鳌江镇新河村 8 号", "1", "1", "确认"], B)[-1]
    assert "预约成功" in booked["text"], booked
    if delete_a:
        assert "已删除" in delete(http, A)["text"]


def delete(http, openid: str) -> dict:
    assert "确定删除" in http.text("删除我的信息", openid, encrypt=True)["text"]
    return http.text("1", openid, encrypt=True)


def test_no_whole_number_at_rest_after_registering_booking_and_deleting(wechat_http, services, caplog):
    with caplog.at_level(logging.DEBUG):
        run_the_campaign(wechat_http, services)
    rows = dump_rows(services)
    everything = "\n".join(line for lines in rows.values() for line in lines)
    for secret in secrets():
        where = [t for t, lines in rows.items() if secret in "\n".join(lines)]
        assert secret not in everything, (secret, where)
        assert secret not in caplog.text and not any(secret in (r.exc_text or "") for r in caplog.records)
    # A is gone from every table except what is deliberately kept (bot/privacy/forget.py says why).
    mentions = {t: sum(A in line for line in lines) for t, lines in rows.items()}
    assert {t: n for t, n in mentions.items() if n} == KEPT_FOR_A
    with services.sessions() as s:
        kept = s.execute(text("select town, latitude, scene from follower where openid = :o"), {"o": A}).one()
        state = s.execute(text("select data from conversation_state where openid = :o"), {"o": A}).scalar()
    assert tuple(kept) == (None, None, None) and state in ("{}", {})
    # B, not deleted, is still there (encrypted).
    assert "李*" in wechat_http.text("办证进度", B, encrypt=True)["text"]
    url = services.settings.database_url
    if url.startswith("sqlite"):
        get_engine(url).dispose()  # as after a restart: nothing held in memory
        path = Path(url.removeprefix("sqlite:///"))
        for file in (path, path.with_name(path.name + "-wal")):
            raw = file.read_bytes() if file.exists() else b""
            for secret in secrets():
                assert secret.encode() not in raw, (file.name, secret)


def seed_every_openid_table(services, openid: str) -> None:
    """A row about openid in each table the chat does not reach in a few messages."""
    from bot.booking.models import Booking, Waitlist
    from bot.db import utcnow
    from bot.jobs.models import JobView
    from bot.calls.models import CallTask
    from bot.outbox.models import DeliveryEvent, Notice, NoticeRecipient
    from bot.outbox.enqueue import enqueue_mass_text, enqueue_text
    from bot.people.models import RegistrationFailure
    from bot.safety.models import UrgentItem
    from tests.test_jobs_chat import add_job
    posting = add_job(services, "J1", "纸箱包装工")
    round_id = add_round(services, capacity=1)
    person = dict(openid=openid, resident_key=f"wx:{openid}", reason="other", town="鳌江镇")
    with services.sessions.begin() as s:
        s.add(JobView(posting_id=posting, openid=openid))
        notice = Notice(title="助残活动", body="周六上午", audience="registered", status="sent")
        s.add(notice)
        s.flush()
        s.add(NoticeRecipient(notice_id=notice.id, openid=openid))
        s.add(CallTask(openid=openid, ref="booking:1", what="上门评残场次取消", reason="微信窗口已关闭"))
        s.add(DeliveryEvent(event="templatesendjobfinish", msg_id="123", openid=openid, status="success"))
        s.add(Booking(code="QWERTY", round_id=round_id, status="done", marked_by=f"resident:{openid}", **person))
        s.add(Waitlist(round_id=round_id, status="waiting", **person))
        s.add(RegistrationFailure(openid=openid, reason="checksum", created_at=utcnow() - dt.timedelta(days=2)))
        enqueue_text(s, openid, "您好", dedupe_key=f"test:{openid}", source="test")
        sent = enqueue_text(s, openid, "早先的消息", dedupe_key=f"test:sent:{openid}", source="test")
        sent.status = "sent"
        enqueue_mass_text(s, "通知", "test:mass", openids=[openid, "oSomeoneElse0003"])
        s.add(UrgentItem(openid=openid, category="complaint", priority=2, text="服务太差", handled_at=utcnow(),
                         handled_by="wang", action_taken="已回电"))
        s.add(UrgentItem(openid=openid, category="danger", priority=1, text="我迷路了 青草巷"))
        s.flush()
    from bot.aids import service as aids
    from bot.aids.waitlist import join_wait
    with services.sessions.begin() as s:  # a loan returned, one reserved, a wait for another device
        stock = aids.set_stock(s, aids.add_station(s, "鳌江镇", "鳌江共享辅具驿站").id, "轮椅", 2)
        aids.mark(s, aids.reserve(s, stock.id, openid, f"wx:{openid}").code, "picked_up", "wang")
        aids.mark(s, aids.holding(s, f"wx:{openid}", "轮椅").code, "returned", "wang")
        aids.reserve(s, stock.id, openid, f"wx:{openid}")
        join_wait(s, openid, f"wx:{openid}", "护理床", "鳌江镇")


def test_deletion_leaves_the_openid_only_where_it_is_kept_on_purpose(wechat_http, services):
    """Every table with an openid column (found in the metadata) holds A before; after "删除我的信息"
    only the rows kept on purpose mention A (bot/privacy/forget.py says why). A new table fails here."""
    holders = {t.name for t in Base.metadata.sorted_tables if "openid" in t.columns}
    run_the_campaign(wechat_http, services, delete_a=False)
    seed_every_openid_table(services, A)
    before = {t: sum(A in line for line in lines) for t, lines in dump_rows(services).items()}
    assert holders <= {t for t, n in before.items() if n}, holders - {t for t, n in before.items() if n}
    assert "已删除" in delete(wechat_http, A)["text"]
    after = {t: sum(A in line for line in lines) for t, lines in dump_rows(services).items()}
    # An open urgent item keeps the openid (staff still reach a person who may be in danger), not the words.
    assert {t: n for t, n in after.items() if n} == {**KEPT_FOR_A, "urgent_item": 1}
    assert not any("青草巷" in line for line in dump_rows(services)["urgent_item"])
    with services.sessions() as s:
        mass = s.execute(text("select payload from outbox where channel = 'mass'")).scalar()
    assert "oSomeoneElse0003" in str(mass)  # the other recipient of a broadcast is still there


def test_deleted_words_are_gone_from_the_sqlite_file_and_its_wal(wechat_http, services):
    """secure_delete zeroes the deleted rows, the checkpoint after the deletion empties the WAL."""
    url = services.settings.database_url
    if not url.startswith("sqlite"):
        pytest.skip("SQLite files only")
    with get_engine(url).connect() as conn:  # Debian's SQLite has it on by default, python.org's not
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    marker = "我家门牌是青草巷七号请上门看看"
    wechat_http.text(marker, A, encrypt=True)
    path = Path(url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    assert marker.encode() in wal.read_bytes() + path.read_bytes()  # the question is logged at first
    wechat_http.text("删除我的信息", A, encrypt=True)
    wechat_http.text("1", A, encrypt=True)
    for file in (path, wal):
        assert marker.encode() not in (file.read_bytes() if file.exists() else b""), file.name
