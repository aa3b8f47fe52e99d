"""Staff side: rounds edited or cancelled (residents told once), outcomes, lists, the route sheet,
reminders the day before (local time) exactly once, and missed visits."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.booking import rounds as rounds_svc
from bot.booking import service, staff
from bot.booking import waitlist as queue
from bot.booking.export import route_sheet
from bot.booking.models import AssessmentRound, Booking, Waitlist
from bot.booking.reminders import mark_missed, send_reminders
from bot.db import LOCAL_TZ
from bot.models import AuditLog, OutboxMessage
from tests.test_booking_support import active, add_round, get_round, outbox_texts, visit_day


def _book(services, rid, openid, name="王五", address="鳌江镇 1 号", category=4, town="鳌江镇"):
    key = services.settings.data_key
    details = service.Details(resident_key=f"wx:{openid}", name=name, id_masked="3303**********1234",
                              phone="13800001111", address=address, town=town, category=category,
                              reason="bedridden")
    with services.sessions.begin() as s:
        return service.book(s, rid, openid, details, key).id


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL_TZ)


def test_editing_the_date_tells_each_booked_resident_once(services):
    rid = add_round(services)
    _book(services, rid, "o_s1")
    with services.sessions.begin() as s:
        rounds_svc.edit_round(s, rid, "staff:li", date=visit_day(7), team="第二组")
    with services.sessions.begin() as s:
        rounds_svc.edit_round(s, rid, "staff:li", date=visit_day(7), team="第二组")  # no change, no message
        rounds_svc.edit_round(s, rid, "staff:li", capacity=5)  # not worth a message
    texts = outbox_texts(services, "o_s1")
    day = visit_day(7)
    assert len(texts) == 1 and f"{day.month}月{day.day}日" in texts[0] and "第二组" in texts[0]
    with services.sessions() as s:
        rnd = s.get(AssessmentRound, rid)
        assert rnd.window_end == rounds_svc.cancel_deadline(rnd)  # the default window follows the day
        assert s.scalar(select(AuditLog).where(AuditLog.action == "round.edit")).actor == "staff:li"


def test_capacity_cannot_drop_below_the_booked_places(services):
    rid = add_round(services, capacity=2)
    _book(services, rid, "o_s2")
    _book(services, rid, "o_s3")
    with pytest.raises(rounds_svc.RoundError), services.sessions.begin() as s:
        rounds_svc.edit_round(s, rid, "staff", capacity=1)
    assert get_round(services, rid).capacity == 2


def test_cancelling_a_round_ends_bookings_and_tells_residents_and_the_waitlist(services):
    rid = add_round(services, capacity=1)
    _book(services, rid, "o_s4")
    key = services.settings.data_key
    with services.sessions.begin() as s:
        details = staff.details_of(s.scalar(select(Booking)), key)
        queue.join(s, rid, "o_s5", service.Details(**{**details.__dict__, "resident_key": "wx:o_s5"}),
                              key)
    for _ in range(2):  # a second cancel changes nothing
        with services.sessions.begin() as s:
            rounds_svc.cancel_round(s, rid, "staff:li", "医生临时有任务")
    assert active(services) == 0 and get_round(services, rid).booked == 0
    assert [t for t in outbox_texts(services, "o_s4") if "医生临时有任务" in t and "取消" in t]
    assert len(outbox_texts(services, "o_s4")) == 1 and len(outbox_texts(services, "o_s5")) == 1
    with services.sessions() as s:
        assert s.scalar(select(Booking.status)) == "round_cancelled"
        assert s.scalar(select(Waitlist.status)) == "closed"


def test_staff_mark_outcomes_and_cancel_with_reason_frees_the_place(services):
    rid = add_round(services, capacity=3)
    visited, away, dropped = (_book(services, rid, f"o_m{i}") for i in range(3))
    with services.sessions.begin() as s:
        staff.mark_booking(s, visited, "visited", "staff:zhao")
        staff.mark_booking(s, away, "not_home", "staff:zhao", reason="敲门没人")
        staff.mark_booking(s, dropped, "cancelled", "staff:zhao", reason="已住院")
    assert get_round(services, rid).booked == 2
    with pytest.raises(ValueError), services.sessions.begin() as s:
        staff.mark_booking(s, visited, "cancelled", "staff:zhao")  # a reason is required
    with services.sessions() as s:
        marks = s.scalars(select(AuditLog).where(
            AuditLog.action.in_(["booking.mark", "booking.cancel"]))).all()
    assert {m.actor for m in marks} == {"staff:zhao"} and len(marks) == 3


def test_list_filters_and_sorting(services):
    rid = add_round(services, capacity=5, towns=("鳌江镇", "萧江镇"))
    _book(services, rid, "o_l1", name="甲", address="鳌江镇 9 号", category=4)
    _book(services, rid, "o_l2", name="乙", address="萧江镇 1 号", category=6, town="萧江镇")
    _book(services, rid, "o_l3", name="丙", address="鳌江镇 2 号", category=4)
    key = services.settings.data_key
    with services.sessions.begin() as s:
        rows = staff.list_bookings(s, key, rid, "staff:li")
        assert [r["name"] for r in rows] == ["丙", "甲", "乙"]
        assert rows[0]["id_masked"] == "3303**********1234" and rows[0]["phone"] == "13800001111"
        assert rows[0]["category"] == "肢体" and rows[0]["reason"] == "卧床" and rows[0]["status_label"] == "已预约"
        assert [r["name"] for r in staff.list_bookings(s, key, rid, "staff:li", town="萧江镇")] == ["乙"]
        assert len(staff.list_bookings(s, key, rid, "staff:li", category=4)) == 2
        assert [r["name"] for r in staff.list_bookings(s, key, rid, "staff:li", search="甲")] == ["甲"]
    with services.sessions() as s:
        assert len(s.scalars(select(AuditLog).where(AuditLog.action == "booking.list")).all()) == 4


def test_route_sheet_has_chinese_headers_sorted_rows_and_no_formulas(services):
    rid = add_round(services, capacity=5, team="肢体评定组")
    _book(services, rid, "o_x1", name="甲", address="鳌江镇 9 号")
    _book(services, rid, "o_x2", name="乙", address="=HYPERLINK(\"http://x\")")
    cancelled = _book(services, rid, "o_x3", name="丙", address="鳌江镇 1 号")
    with services.sessions.begin() as s:
        staff.mark_booking(s, cancelled, "cancelled", "staff", reason="去世")
        data = route_sheet(s, services.settings.data_key, rid, "staff:li")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["路线表"]
    assert "上门评残路线表" in ws["A1"].value and "肢体评定组" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    assert headers[:5] == ["序号", "预约码", "姓名", "身份证号（隐去中间）", "电话"] and "地址" in headers
    names = [ws.cell(row=r, column=3).value for r in range(3, ws.max_row + 1)]
    assert names == ["乙", "甲"]  # by address ("=" sorts first); the cancelled one is on its own sheet
    assert ws.cell(row=3, column=7).value.startswith("'=") and ws.cell(row=3, column=7).data_type == "s"
    assert [c.value for c in wb["已取消"][3]][2] == "丙"
    with services.sessions() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "booking.export")).actor == "staff:li"


def test_reminder_the_day_before_exactly_once_and_not_at_night(services):
    rid = add_round(services, days=3)
    _book(services, rid, "o_r1")
    day = get_round(services, rid).date
    eve = day - dt.timedelta(days=1)
    assert send_reminders(services.sessions, services.settings, _local(eve - dt.timedelta(days=1), 10)) == 0
    assert send_reminders(services.sessions, services.settings, _local(eve, 6)) == 0  # night: wait
    assert send_reminders(services.sessions, services.settings, _local(eve, 9)) == 1
    assert send_reminders(services.sessions, services.settings, _local(eve, 9)) == 0  # tick runs again
    with services.sessions.begin() as s:  # a crash after queuing, before remembering: the key still holds
        s.scalar(select(Booking)).reminded_for = None
    send_reminders(services.sessions, services.settings, _local(eve, 15))
    texts = outbox_texts(services, "o_r1")
    assert len(texts) == 1 and "明天" in texts[0] and "身份证" in texts[0]


def test_a_moved_round_gets_a_new_reminder_for_the_new_day(services):
    rid = add_round(services, days=3)
    _book(services, rid, "o_r2")
    eve = get_round(services, rid).date - dt.timedelta(days=1)
    send_reminders(services.sessions, services.settings, _local(eve, 10))
    with services.sessions.begin() as s:
        rounds_svc.edit_round(s, rid, "staff", date=visit_day(5))
    new_eve = visit_day(5) - dt.timedelta(days=1)
    assert send_reminders(services.sessions, services.settings, _local(new_eve, 10)) == 1
    assert sum("明天" in t for t in outbox_texts(services, "o_r2")) == 2


def test_unmarked_past_bookings_become_missed(services):
    rid = add_round(services, days=2)
    done = _book(services, rid, "o_p1")
    _book(services, rid, "o_p2")
    with services.sessions.begin() as s:
        staff.mark_booking(s, done, "visited", "staff")
    day = get_round(services, rid).date
    assert mark_missed(services.sessions, _local(day, 20)) == 0  # staff have the visit day itself
    assert mark_missed(services.sessions, _local(day + dt.timedelta(days=1), 1)) == 1
    assert mark_missed(services.sessions, _local(day + dt.timedelta(days=1), 2)) == 0
    with services.sessions() as s:
        statuses = sorted(s.scalars(select(Booking.status)))
        assert statuses == ["missed", "visited"]
        assert s.scalar(select(AuditLog).where(AuditLog.action == "booking.mark_missed")).actor == "system"


def test_notices_never_hold_whole_phone_numbers_in_logs(services, caplog):
    rid = add_round(services)
    _book(services, rid, "o_log")
    with services.sessions() as s:
        outbox = s.scalars(select(OutboxMessage)).all()
        audits = s.scalars(select(AuditLog)).all()
    assert "13800001111" not in caplog.text
    assert all("13800001111" not in str(a.detail) for a in audits)
    assert outbox == []  # booking alone sends no text copy of the chat reply
