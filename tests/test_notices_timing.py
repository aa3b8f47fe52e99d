"""Notices that respect people: quiet hours, one quota rule enforced before accepting, reports in
recipients, and "活动" listing what this resident was sent — through the scheduler tick, the fake WeChat
API, the chat driver and the CLI, with a movable clock (no sleeping)."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from bot.notices import service as notices
from bot.scheduler import runner as sched
from bot.db import LOCAL_TZ
from bot.models import OutboxMessage
from bot.outbox.models import Notice
from bot.people.models import Registration
from bot.engine.services import Services
from tests.support.delivery import Clock, add_follower, set_limits
from tests.support.wechat import ChatDriver

from tests.support.console import Console, create_accounts

REGISTERED = [f"o_reg{i}" for i in range(1, 6)]


@pytest.fixture
def clock():
    return Clock().set_local(20)  # 20:00 Beijing time, an hour before quiet hours


@pytest.fixture
def runtime(dsettings, clock):
    rt = sched.Runtime(dsettings, clock=clock)
    yield rt
    rt.close()


def register(dsessions, openids=REGISTERED) -> None:
    """Five registered residents (the 已注册的居民 audience) who last wrote a week ago."""
    for i, openid in enumerate(openids):
        add_follower(dsessions, openid, hours_since_message=24 * 7)
        with dsessions.begin() as s:
            s.add(Registration(openid=openid, relation="self", id_hash=f"h{openid}", id_enc="x", name_enc="x",
                               phone_enc="x", town=None))


def local(clock: Clock, hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
    day = clock().astimezone(LOCAL_TZ).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), LOCAL_TZ)


def get(dsessions, notice_id: int) -> Notice:
    with dsessions() as s:
        return s.get(Notice, notice_id)


def test_a_notice_scheduled_for_0304_goes_at_0800_and_staff_are_told(dsettings, dsessions, wx_fake, runtime,
                                                                      clock):
    add_follower(dsessions, "o_any")
    with dsessions.begin() as s:
        notice = notices.create(s, title="康复讲座", body="b", scheduled_at=local(clock, 3, 4, days=1),
                                knowledge_dir=dsettings.knowledge_dir, now=clock())
        assert notices.timing(notice, clock()) == "将于 明天 08:00 发送（21:00–08:00 不打扰）"
    clock.set_local(3, 4)
    sched.run_once(runtime)
    assert wx_fake.sent() == [] and get(dsessions, notice.id).status == "scheduled"
    clock.set_local(8, 0)
    sched.run_once(runtime)
    assert len(wx_fake.sent(kind="mass")) == 1 and get(dsessions, notice.id).status == "sent"


def test_the_tick_and_the_dispatcher_hold_rows_queued_before_quiet_hours(dsettings, dsessions, wx_fake,
                                                                          runtime, clock):
    with dsessions.begin() as s:  # rows written around the rules (an older version, by hand)
        held = Notice(title="旧排程", body="b", audience="all", status="scheduled",
                      scheduled_at=local(clock, 2, 0, days=1))
        s.add(held)
    with dsessions.begin() as s:
        queued = notices.create(s, title="已排队", body="b", knowledge_dir=dsettings.knowledge_dir, now=clock())
    runtime.dispatcher.stop_event.set()  # the tick queues the message but the outbox does not run yet
    sched.run_once(runtime)
    runtime.dispatcher.stop_event.clear()
    assert get(dsessions, queued.id).status == "sending" and wx_fake.sent() == []
    clock.set_local(2, 30)
    sched.run_once(runtime)
    assert wx_fake.sent() == []
    n = get(dsessions, held.id)
    assert n.status == "scheduled" and n.scheduled_at == local(clock, 8, 0) and n.hold_reason == "quiet"
    with dsessions() as s:
        row = s.query(OutboxMessage).filter_by(source=f"notice:{queued.id}").one()
    assert row.status == "pending" and row.next_attempt_at == local(clock, 8, 0)
    with dsessions() as s:  # 发送中, but staff read why it waits and until when
        assert notices.report(s, queued.id, now=clock())["timing"] == "将于 今天 08:00 发送（21:00–08:00 不打扰）"
    clock.set_local(8, 1)
    sched.run_once(runtime)
    assert len(wx_fake.sent(kind="mass")) == 2


def test_an_urgent_notice_goes_out_at_night(dsettings, dsessions, wx_fake, runtime, clock):
    clock.set_local(3, 4)
    with dsessions.begin() as s:
        notice = notices.create(s, title="停水通知", body="今晚停水。", urgent=True,
                                knowledge_dir=dsettings.knowledge_dir, now=clock())
        assert notices.timing(notice, clock()).startswith("马上发送")
    sched.run_once(runtime)
    assert len(wx_fake.sent(kind="mass")) == 1 and get(dsessions, notice.id).status == "sent"


def test_registered_residents_use_the_daily_mass_send_and_a_second_send_waits_for_tomorrow(
        dsettings, dsessions, wx_fake, runtime, clock, dknowledge):
    set_limits(dknowledge, mass_daily_quota=1)
    register(dsessions)
    clock.set_local(10)
    with dsessions.begin() as s:
        first = notices.create(s, title="助残日", body="b", audience="registered",
                               knowledge_dir=dsettings.knowledge_dir, now=clock())
        draft = notices.create(s, title="第二条", body="b", draft=True, knowledge_dir=dsettings.knowledge_dir)
        assert notices.quota_summary(s, dsettings.knowledge_dir, clock())["remaining"] == 0
    sched.run_once(runtime)
    assert len(wx_fake.sent(kind="mass")) == 1 and get(dsessions, first.id).status == "sent"
    with dsessions.begin() as s:  # 马上发送 with none left: accepted, but it waits and says so
        second = notices.send_now(s, draft.id, knowledge_dir=dsettings.knowledge_dir, now=clock())
        assert notices.timing(second, clock()) == "将于 明天 08:00 发送，今天的群发次数已用完"
    sched.run_once(runtime)
    assert get(dsessions, draft.id).status == "scheduled" and len(wx_fake.sent(kind="mass")) == 1
    clock.set_local(8, 0)
    sched.run_once(runtime)
    assert get(dsessions, draft.id).status == "sent" and len(wx_fake.sent(kind="mass")) == 2


def test_report_counts_recipients_submitted_then_delivered(dsettings, dsessions, wx_fake, runtime, clock):
    register(dsessions)
    clock.set_local(10)
    with dsessions.begin() as s:
        notice = notices.create(s, title="助残日", body="b", audience="registered",
                                knowledge_dir=dsettings.knowledge_dir, now=clock())
    sched.run_once(runtime)
    with dsessions() as s:
        submitted = notices.report(s, notice.id)["recipients"]
    assert (submitted["targeted"], submitted["submitted"], submitted["delivered"]) == (5, 5, None)
    assert "已提交给微信 5 人" in submitted["text"] and "已送达" not in submitted["text"]
    msg_id = wx_fake.sent(kind="mass")[0]["msgid"]
    ChatDriver(Services(dsettings), openid="mphelper").send(
        "event", Event="MASSSENDJOBFINISH", MsgID=str(msg_id), Status="send success", TotalCount="5",
        FilterCount="5", SentCount="5", ErrorCount="0")
    with dsessions() as s:
        delivered = notices.report(s, notice.id)["recipients"]
    assert delivered["delivered"] == 5 and "已送达 5 人" in delivered["text"]
    staff = console_for(dsettings)  # the detail page staff read says the same, not "已发送 1"
    page = staff.get(f"/admin/notices/{notice.id}").text
    assert "对象 5 人，已提交给微信 5 人，已送达 5 人。" in page


def console_for(dsettings) -> Console:
    from webhook import create_app
    app = create_app(dsettings)
    create_accounts(app.extensions["wxbot"], {"writer": "editor"})
    staff = Console(app.test_client())
    assert staff.login("writer").status_code == 302
    return staff


def test_activity_lists_a_notice_sent_to_registered_residents(dsettings, dsessions, wx_fake, runtime, clock):
    register(dsessions)
    add_follower(dsessions, "o_other")
    clock.set_local(10)
    with dsessions.begin() as s:
        public = notices.create(s, title="文艺汇演", body="欢迎大家。", knowledge_dir=dsettings.knowledge_dir,
                                now=clock() - dt.timedelta(minutes=5))
    sched.run_once(runtime)
    with dsessions.begin() as s:
        notices.create(s, title="助听器免费适配", body="已注册的居民可以预约。", audience="registered",
                       knowledge_dir=dsettings.knowledge_dir, now=clock())
    sched.run_once(runtime)
    chat = ChatDriver(Services(dsettings), openid="o_reg3")
    listing = chat("活动")
    assert "1. 助听器免费适配\n2. 文艺汇演" in listing.text  # newest first, the public one too
    assert chat("1").text.startswith("【活动通知】助听器免费适配")
    menu = chat.click("NOTICES")
    assert "助听器免费适配" in menu.text
    other = ChatDriver(Services(dsettings), openid="o_other")("活动")
    assert "文艺汇演" in other.text and "助听器" not in other.text
    assert public.id


def test_cli_urgent_flag_quiet_hours_and_quota_message(dsettings, monkeypatch, dknowledge):
    from bot.cli.delivery import notices as notices_cli
    set_limits(dknowledge, mass_daily_quota=1)
    monkeypatch.setenv("DATABASE_URL", dsettings.database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", dsettings.knowledge_dir)
    runner = CliRunner()
    night = runner.invoke(notices_cli, ["add", "--title", "讲座", "--body", "b", "--at", "2099-03-03T03:04"])
    assert night.exit_code == 0, night.output
    assert "for 2099-03-03 08:00" in night.output and "（21:00–08:00 不打扰）" in night.output
    assert "每天最多 1 次" in night.output  # the rule, the same sentence as in the console
    second = runner.invoke(notices_cli, ["add", "--title", "第二条", "--body", "b", "--at", "2099-03-03T15:00",
                                         "--audience", "registered"])
    assert "for 2099-03-04 08:00" in second.output and "的群发次数已用完" in second.output
    urgent = runner.invoke(notices_cli, ["add", "--title", "停电", "--body", "b", "--at", "2099-03-05T23:30",
                                         "--urgent"])
    assert "for 2099-03-05 23:30" in urgent.output and "(urgent)" in urgent.output
    listing = runner.invoke(notices_cli, ["list"]).output
    assert "不打扰" in listing and "群发次数已用完" in listing and "今天还能群发" in listing
    for title in ("草稿一", "草稿二"):
        runner.invoke(notices_cli, ["add", "--title", title, "--body", "b", "--draft"])
    first = runner.invoke(notices_cli, ["send", "4", "--urgent"])
    assert "notice 4: 马上发送" in first.output and "今天还能群发 0 次" in first.output
    over = runner.invoke(notices_cli, ["send", "5", "--urgent"])  # 0 left: accepted, waits, says until when
    assert over.exit_code == 0 and "notice 5: 将于 明天 08:00 发送，今天的群发次数已用完" in over.output
