"""Due-date reminders (a week before, a day before, every overdue day; once a day; not at night), owed
offers that WeChat cannot deliver becoming call tasks, and "删除我的信息" for loans."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.aids import service
from bot.aids.models import AidLoan, AidStock, AidWait
from bot.aids.notices import forget, send_due_reminders
from bot.aids.waitlist import join_wait
from bot.calls.models import CallTask
from bot.calls.tasks import settle
from bot.db import LOCAL_TZ
from bot.models import OutboxMessage
from tests.test_aids_chat import stations


def lent(services, openid="o_r", days=30):
    [stock_id] = stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 2))
    with services.sessions.begin() as s:
        service.set_stock(s, s.get(AidStock, stock_id).station_id, "轮椅", 2, max_days=days)
        loan = service.mark(s, service.reserve(s, stock_id, openid, f"wx:{openid}").code, "picked_up", "wang")
        return loan.id, loan.due, stock_id


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LOCAL_TZ)


def texts(services, openid="o_r"):
    with services.sessions() as s:
        return [m.payload["text"]["content"] for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.openid == openid).order_by(OutboxMessage.id))]


def test_a_week_before_a_day_before_and_every_overdue_day_once(services):
    _id, due, _stock = lent(services)
    days = [due - dt.timedelta(days=n) for n in (8, 7, 6, 1, 0, -1, -2)]
    sent = [send_due_reminders(services.sessions, at(day)) for day in days]
    assert sent == [0, 1, 0, 1, 0, 1, 1]
    assert send_due_reminders(services.sessions, at(days[-1], 15)) == 0  # once a day
    assert send_due_reminders(services.sessions, at(due + dt.timedelta(days=3), 7)) == 0  # not at night
    messages = texts(services)
    assert len(messages) == 4 and "应在" in messages[0] and "已过归还日期" in messages[2]
    assert "2 天" in messages[3] and "回复“续借”" in messages[0]


def test_an_offer_wechat_cannot_deliver_becomes_a_call_task(services):
    """No template and no recent message from the resident: staff get a call task at once."""
    [stock_id] = stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 1))
    with services.sessions.begin() as s:
        loan = service.reserve(s, stock_id, "o_first", "wx:o_first")
        join_wait(s, "o_waiting", "wx:o_waiting", "轮椅", "鳌江镇")
    with services.sessions.begin() as s:
        service.cancel(s, loan.id, "resident:o_first")
        assert settle(s, services.settings.knowledge_dir) == 1
    with services.sessions() as s:
        task = s.scalar(select(CallTask).where(CallTask.openid == "o_waiting"))
        assert task is not None and task.what == "辅具候补有空"


def test_forgetting_cancels_reservations_and_keeps_only_devices_still_out(services):
    loan_id, _due, stock_id = lent(services, "o_gone")
    with services.sessions.begin() as s:
        station_id = s.get(AidStock, stock_id).station_id
        other = service.set_stock(s, station_id, "拐杖", 1)
        service.reserve(s, other.id, "o_gone", "wx:o_gone")
        join_wait(s, "o_gone", "wx:o_gone", "护理床", "鳌江镇")
        assert forget(s, "o_gone") == 1
    with services.sessions() as s:
        rows = {loan.device: (loan.status, loan.openid) for loan in s.scalars(select(AidLoan))}
        assert rows == {"轮椅": ("picked_up", "o_gone"), "拐杖": ("cancelled", "-")}
        assert s.get(AidStock, other.id).available == 1
        assert s.scalar(select(AidWait.openid)) == "-"
    with services.sessions.begin() as s:
        code = s.get(AidLoan, loan_id).code
        service.mark(s, code, "returned", "wang")
    with services.sessions() as s:
        assert s.get(AidLoan, loan_id).openid == "-"
