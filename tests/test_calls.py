"""Nobody left uninformed: owed messages WeChat cannot deliver become call tasks staff see and close.

Residents book through the real /wechat path; staff act in the console; the dispatcher sends to the
fake WeChat API on loopback.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from bot.booking.models import Booking
from bot.calls.models import CallTask
from bot.cli.main import cli
from bot.db import utcnow
from bot.outbox.notify import notify, resolve_unknown
from bot.outbox.dispatcher import dispatch_due
from bot.outbox.state import recover
from bot.models import AuditLog, Follower, OutboxMessage
from tests.test_booking_support import Registry, add_round, book_by_chat

pytestmark = pytest.mark.instant_reload


@pytest.fixture
def settings(settings, knowledge_copy, wx_fake):
    """Console settings over a knowledge/ copy, sending to the fake WeChat API (no template ids)."""
    return settings.with_(knowledge_dir=str(knowledge_copy), wechat_api_base=wx_fake.url, token_owner=True,
                          api_timeout_seconds=1.0)


class Http:
    """book_by_chat's chat(text, openid=…) over signed XML POSTed to /wechat."""

    def __init__(self, wechat_http):
        self.wechat_http = wechat_http

    def __call__(self, text, openid):
        return type("R", (), {"text": self.wechat_http.text(text, openid=openid)["text"]})()


@pytest.fixture
def booked(app, services, wechat_http, monkeypatch):
    """Two residents booked one round by chat; o_quiet has not written for three days."""
    registry, chat = Registry(services, monkeypatch), Http(wechat_http)
    rid = add_round(services, capacity=5)
    for openid, name, phone in (("o_recent", "王五", "13800005555"), ("o_quiet", "李秀英", "13900006666")):
        registry.register(openid, name=name, phone=phone)
        book_by_chat(chat, openid)
        assert "预约成功" in chat("确认", openid).text
    with services.sessions.begin() as s:
        s.execute(update(Follower).where(Follower.openid == "o_quiet")
                  .values(last_message_at=utcnow() - dt.timedelta(days=3)))
        s.execute(update(OutboxMessage).values(status="sent"))  # the booking confirmations went out
    return rid


def _tasks(services) -> list[CallTask]:
    with services.sessions() as s:
        return list(s.scalars(select(CallTask).order_by(CallTask.id)))


def _open_count(page: str) -> str:
    """The number the dashboard leads with (the first section after the heading)."""
    section = page.split("<h1>概况</h1>", 1)[1].split("<h2", 2)[1]
    assert "需要打电话通知的居民" in section
    return re.search(r'class="n">(\d+)</span>', section).group(1)


def _row_of(page: str, name: str) -> str:
    return next(tr for tr in page.split("<tr>") if name in tr)


def test_staff_cancelled_round_gives_a_call_task_for_the_resident_wechat_cannot_reach(
        app, services, settings, console, booked, wx_fake):
    writer = console("writer")
    resp = writer.post(f"/admin/rounds/{booked}/cancel", {"reason": "医生临时有任务"}, follow_redirects=True)
    assert "已送达 0 · 排队中 1 · 需电话通知 1" in resp.text and "已通知" not in resp.text
    dispatch_due(settings, services.sessions)
    assert [m["content"] for m in wx_fake.sent("o_recent", "custom") if "医生临时有任务" in m["content"]]
    assert wx_fake.sent("o_quiet") == []

    [task] = _tasks(services)
    assert task.openid == "o_quiet" and task.what == "上门评残场次取消" and "48 小时" in task.reason
    page = writer.get(f"/admin/rounds/{booked}").text
    assert "需电话通知" in _row_of(page, "李秀英") and "已送达" in _row_of(page, "王五")
    assert "需电话通知" not in _row_of(page, "王五")

    assert _open_count(writer.get("/admin/dashboard").text) == "1"
    listing = writer.get("/admin/calls").text
    assert "李*" in listing and "李秀英" not in listing and "13900006666" not in listing


def test_phone_shown_to_editors_only_and_every_view_audited(app, services, settings, console, booked):
    console("writer").post(f"/admin/rounds/{booked}/cancel", {"reason": "下雪路滑"})
    [task] = _tasks(services)
    reader_page = console("reader").get(f"/admin/calls/{task.id}").text
    assert "13900006666" not in reader_page and "只有编辑和管理员" in reader_page
    assert console("reader").post(f"/admin/calls/{task.id}/close", {"status": "done"}).status_code == 403
    writer = console("writer")
    page = writer.get(f"/admin/calls/{task.id}").text
    assert "13900006666" in page and "下雪路滑" in page
    admin_page = console("boss").get(f"/admin/calls/{task.id}").text
    assert "13900006666" in admin_page
    with services.sessions() as s:
        views = s.scalars(select(AuditLog).where(AuditLog.action == "call.phone_view")).all()
    assert sorted(v.actor for v in views) == ["boss", "writer"]
    writer.post(f"/admin/calls/{task.id}/close", {"status": "unreachable", "note": "两次没人接"})
    [closed] = _tasks(services)
    assert closed.status == "unreachable" and closed.handled_by == "writer" and closed.handled_at
    assert _open_count(writer.get("/admin/dashboard").text) == "0"


def test_unfollowed_resident_43004_becomes_a_call_task(app, services, settings, booked, wx_fake):
    wx_fake.fault("message/custom/send", 43004, touser="o_recent")
    from bot.booking import staff as booking_staff
    with services.sessions.begin() as s:
        booking = s.scalar(select(Booking).where(Booking.openid == "o_recent"))
        booking_staff.mark_booking(s, booking.id, "cancelled", "staff:li", reason="已住院")
    dispatch_due(settings, services.sessions)
    [task] = _tasks(services)
    assert task.openid == "o_recent" and task.what == "上门评残预约被取消" and "43004" in task.reason
    assert "已住院" in task.message


def test_cli_cancel_prints_truthful_counts(app, services, settings, booked, monkeypatch, wx_fake):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", settings.knowledge_dir)
    out = CliRunner().invoke(cli, ["rounds", "cancel", str(booked), "--reason", "医生生病"])
    assert out.exit_code == 0, out.output
    assert "通知 2 位预约的居民：已送达 0 · 排队中 1 · 需电话通知 1" in out.output
    assert "told" not in out.output and "已通知" not in out.output
    dispatch_due(settings, services.sessions)
    later = CliRunner().invoke(cli, ["rounds", "notices", str(booked)])
    assert "合计：已送达 1 · 排队中 0 · 需电话通知 1" in later.output


def test_crash_unknown_and_quota_postponed_owed_messages_get_tasks_notices_do_not(services, settings,
                                                                                  wx_fake):
    for openid in ("o_a", "o_b", "o_c"):
        with services.sessions.begin() as s:
            s.add(Follower(openid=openid, subscribed=True, last_message_at=utcnow()))
    wx_fake.fault("message/custom/send", 45009, touser="o_b")
    with services.sessions.begin() as s:
        notify(s, "o_a", "booking_reminder", {}, "k:a", "明天上门", owed="上门评残明天上门提醒")
        notify(s, "o_b", "booking_reminder", {}, "k:b", "明天上门", owed="上门评残明天上门提醒")
        notify(s, "o_c", "notice", {}, "k:c", "活动通知")  # a notice is not owed
        s.flush()
        s.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key.in_(["k:a", "k:c"])).values(
            status="sending", channel="custom", attempt_started_at=utcnow() - dt.timedelta(hours=1),
            lease_until=utcnow() - dt.timedelta(minutes=1)))
    dispatch_due(settings, services.sessions)  # o_b: 45009, pushed to tomorrow
    with services.sessions.begin() as s:
        assert recover(s, utcnow())["unknown"] == 0  # dispatch_due already recovered both
    tasks = {t.openid: t for t in _tasks(services)}
    assert set(tasks) == {"o_a", "o_b"}
    assert "不能确定" in tasks["o_a"].reason and "明天" in tasks["o_b"].reason
    with services.sessions.begin() as s:  # staff learn it did arrive: nobody needs to phone
        assert resolve_unknown(s, tasks["o_a"].outbox_id, "sent", by="writer")
    done = {t.openid: t for t in _tasks(services)}["o_a"]
    assert done.status == "done" and done.handled_by == "writer"


def test_certificate_step_for_a_resident_who_unfollowed_becomes_a_call_task(services, chat):
    from tests.test_people_helpers import load, make_id, record, register
    id18 = make_id(611)
    load(services, [record(id_number=id18, name="张三", step="受理", phone="13812345678")])
    register(chat, "张三", id18, phone="13812345678")
    chat.event("unsubscribe")
    report = load(services, [record(id_number=id18, name="张三", step="待领取", step_date="2026-06-01",
                                    phone="13812345678")])
    assert report.notified == 0 and report.calls == 1 and "需电话通知 1 人" in report.summary()
    [task] = _tasks(services)
    assert task.what == "残疾人证办理进度变化" and "取消关注" in task.reason and "可以领取" in task.message


def test_delete_my_data_removes_the_residents_call_tasks(app, services, settings, console, booked,
                                                         wechat_http):
    console("writer").post(f"/admin/rounds/{booked}/cancel", {"reason": "医生临时有任务"})
    assert [t.openid for t in _tasks(services)] == ["o_quiet"]
    assert "确定删除" in wechat_http.text("删除我的信息", openid="o_quiet")["text"]
    assert "待打的通知电话" in wechat_http.text("1", openid="o_quiet")["text"]
    assert _tasks(services) == []
