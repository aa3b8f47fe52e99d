"""Notices: compose and check, schedule, cancel, audiences and tags, the resident's view, reports."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from bot.notices import audiences, service as notices
from bot.engine import features
from bot.scheduler import runner as sched
from bot.db import utcnow
from bot.engine.features import Feature, Features
from bot.outbox.models import DeliveryEvent, Notice
from bot.engine.services import Services
from bot.wechat.client import WeChatAPI
from tests.support.delivery import add_follower, set_limits
from tests.support.wechat import ChatDriver


@pytest.fixture
def runtime(dsettings, day_clock):
    rt = sched.Runtime(dsettings, clock=day_clock)
    yield rt
    rt.close()


@pytest.fixture
def only_features(monkeypatch):
    """Audiences read the installed features at call time: give them just these (none by default)."""
    def use(*declared: Feature) -> None:
        monkeypatch.setattr(features, "installed", lambda: Features(declared))
    use()
    return use


def notice_status(dsessions, notice_id: int) -> str:
    with dsessions() as s:
        return s.get(Notice, notice_id).status


def test_notice_for_everyone_is_delivered_once_through_the_real_api_path(dsettings, dsessions, wx_fake,
                                                                          runtime, day_clock):
    event_at = utcnow() + dt.timedelta(days=3)
    with dsessions.begin() as s:
        notice = notices.create(s, title="助残日文艺汇演", body="欢迎残疾人朋友和家属参加。",
                                event_at=event_at, place="县文化中心", created_by="staff1")
    sched.run_once(runtime)
    sched.run_once(runtime)
    mass = wx_fake.sent(kind="mass")
    assert len(mass) == 1 and mass[0]["body"]["filter"] == {"is_to_all": True}
    assert "助残日文艺汇演" in mass[0]["content"] and "地点：县文化中心" in mass[0]["content"]
    assert notice_status(dsessions, notice.id) == "sent"
    with dsessions() as s:
        # The quota of the day the send happened (the clock is at 10:00 Beijing, tomorrow's after 10:00).
        report = notices.report(s, notice.id, dsettings.knowledge_dir, now=day_clock())
    assert report["delivery"]["totals"] == {"sent": 1} and report["delivery"]["quota"]["used"]["mass"] == 1
    assert wx_fake.sent("o_anyone") == mass  # the simulator's view: a mass send to all reaches everyone


def test_residents_see_upcoming_notices_numbered_and_in_full(dsettings, dsessions, wx_fake, runtime,
                                                             dknowledge):
    with dsessions.begin() as s:
        notices.create(s, title="辅具适配日", body="现场可以试用轮椅和助听器。", knowledge_dir=dknowledge,
                       event_at=utcnow() + dt.timedelta(days=2))
        notices.create(s, title="旧活动", body="已经结束。", knowledge_dir=dknowledge, event_at=utcnow() - dt.timedelta(days=5))
        notices.create(s, title="鳌江镇就业见面会", body="鳌江镇居民请参加。", audience="town:鳌江镇",
                       knowledge_dir=dknowledge)
    add_follower(dsessions, "o_aj", town="鳌江镇")
    sched.run_once(runtime)
    sched.run_once(runtime)
    chat = ChatDriver(Services(dsettings), openid="o_aj")
    listing = chat("活动")
    # newest first: both went out in the same tick, the town notice was queued last
    assert "1. 鳌江镇就业见面会" in listing.text and "2. 辅具适配日" in listing.text
    assert "旧活动" not in listing.text
    detail = chat("2")
    assert detail.text.startswith("【活动通知】辅具适配日") and "时间：" in detail.text
    other = ChatDriver(Services(dsettings), openid="o_elsewhere")("通知")
    assert "鳌江镇就业见面会" not in other.text


def test_nothing_upcoming_offers_a_way_out(dsettings):
    reply = ChatDriver(Services(dsettings), openid="o_n")("活动通知")
    assert "最近没有" in reply.text and "转人工" in reply.text


def test_compose_checks_wechat_limits_and_audience(dsessions):
    with dsessions.begin() as s:
        with pytest.raises(notices.NoticeError) as err:
            notices.create(s, title="长" * 65, body="", audience="everyone", link="ftp://x")
    assert len(err.value.errors) == 4
    with dsessions.begin() as s:
        with pytest.raises(notices.NoticeError):
            notices.create(s, title="t", body="字" * 601)


def test_cancel_before_sending_sends_nothing(dsettings, dsessions, wx_fake, runtime):
    with dsessions.begin() as s:
        later = notices.create(s, title="改期", body="b", scheduled_at=utcnow() + dt.timedelta(hours=2))
        draft = notices.create(s, title="草稿", body="b", draft=True)
    with dsessions.begin() as s:
        assert notices.cancel(s, later.id)
    sched.run_once(runtime)
    assert wx_fake.sent() == [] and notice_status(dsessions, later.id) == "cancelled"
    with dsessions.begin() as s:
        notices.send_now(s, draft.id)
    sched.run_once(runtime)
    assert len(wx_fake.sent(kind="mass")) == 1
    with dsessions.begin() as s:
        assert not notices.cancel(s, draft.id)  # already with WeChat


def test_second_broadcast_waits_for_tomorrows_quota(dsettings, dsessions, wx_fake, runtime, dknowledge,
                                                    day_clock):
    set_limits(dknowledge, mass_daily_quota=1)
    with dsessions.begin() as s:
        notices.create(s, title="第一条", body="b", knowledge_dir=dsettings.knowledge_dir, now=day_clock())
        assert notices.remaining_mass_quota(s, dsettings.knowledge_dir, day_clock()) == 0  # promised today
        second = notices.create(s, title="第二条", body="b", knowledge_dir=dsettings.knowledge_dir,
                                now=day_clock())
    sched.run_once(runtime)
    assert len(wx_fake.sent(kind="mass")) == 1
    with dsessions() as s:
        report = notices.report(s, second.id, now=day_clock())
    assert report["status"] == "scheduled" and report["delivery"]["totals"] == {}
    assert report["timing"] == "将于 明天 08:00 发送，今天的群发次数已用完"


def test_town_audience_goes_through_a_synced_tag(dsettings, dsessions, wx_fake, runtime):
    add_follower(dsessions, "o_t1", town="水头镇")
    add_follower(dsessions, "o_t2", town="水头镇")
    add_follower(dsessions, "o_t3", town="昆阳镇")
    add_follower(dsessions, "o_t4", town="水头镇", subscribed=False)
    with dsessions.begin() as s:
        notices.create(s, title="水头镇康复讲座", body="b", audience="town:水头镇")
    sched.run_once(runtime)
    mass = wx_fake.sent(kind="mass")
    assert len(mass) == 1 and mass[0]["body"]["filter"]["is_to_all"] is False
    tags = wx_fake.snapshot()["tags"]
    assert [(t["name"], t["count"]) for t in tags.values()] == [("乡镇-水头镇", 2)]
    assert wx_fake.sent("o_t1", "mass") and not wx_fake.sent("o_t3", "mass")


def test_sync_tags_follows_the_declared_providers(dsettings, dsessions, wx_fake, only_features):
    members = {"o_r1", "o_r2", "o_r3"}
    only_features(Feature("registered", tag_audiences={"registered": lambda session: sorted(members)}))
    add_follower(dsessions, "o_r1", town="萧江镇")
    api = WeChatAPI(dsettings, dsessions)
    result = audiences.sync_tags(api, dsessions)
    assert set(result) == {"town:萧江镇", "registered"}
    members.discard("o_r2")
    audiences.sync_tags(api, dsessions)
    by_name = {t["name"]: set(api.tag_members(i)) for i, t in wx_fake.snapshot()["tags"].items()}
    assert by_name == {"乡镇-萧江镇": {"o_r1"}, "已注册居民": {"o_r1", "o_r3"}}


def test_unprovided_audience_fails_visibly(dsettings, dsessions, wx_fake, runtime, only_features):
    with dsessions.begin() as s:
        notice = notices.create(s, title="岗位推送", body="b", audience="subscribers")
    sched.run_once(runtime)
    with dsessions() as s:
        n = s.get(Notice, notice.id)
        assert n.status == "failed" and "no provider" in n.last_error
    assert wx_fake.sent() == []


def test_round_audience_reaches_each_resident(dsettings, dsessions, wx_fake, runtime, only_features):
    booked = {"7": ["o_b1", "o_b2", "o_b3"]}
    only_features(Feature("rounds", audiences={"round": lambda session, arg: booked.get(arg, [])}))
    for openid in ("o_b1", "o_b2", "o_b3"):
        add_follower(dsessions, openid, hours_since_message=100)
    with dsessions.begin() as s:
        notice = notices.create(s, title="评残地点变更", body="改到县残联二楼。", audience="round:7")
    sched.run_once(runtime)
    sched.run_once(runtime)
    mass = wx_fake.sent(kind="mass")  # no template configured: one mass/send to the list
    assert len(mass) == 1 and sorted(mass[0]["body"]["touser"]) == ["o_b1", "o_b2", "o_b3"]
    assert notice_status(dsessions, notice.id) == "sent"


def test_send_job_finish_events_are_recorded_and_reported(dsettings, dsessions, wx_fake, runtime):
    with dsessions.begin() as s:
        notice = notices.create(s, title="t", body="b")
    sched.run_once(runtime)
    msg_id = wx_fake.sent(kind="mass")[0]["msgid"]
    chat = ChatDriver(Services(dsettings), openid="mphelper")
    reply = chat.send("event", Event="MASSSENDJOBFINISH", MsgID=str(msg_id), Status="send success",
                      TotalCount="120", FilterCount="118", SentCount="117", ErrorCount="1")
    assert reply.silent
    chat.send("event", openid="o_tpl", Event="TEMPLATESENDJOBFINISH", MsgID="555", Status="failed:user block")
    with dsessions() as s:
        assert s.query(DeliveryEvent).count() == 2
        events = notices.report(s, notice.id)["delivery"]["events"]
    assert events == [{"event": "masssendjobfinish", "msg_id": str(msg_id), "status": "send success",
                       "total": 120, "filtered": 118, "sent": 117, "errors": 1,
                       "received_at": events[0]["received_at"]}]


def test_cli_adds_lists_and_cancels(dsettings, monkeypatch):
    from bot.cli.delivery import notices as notices_cli
    monkeypatch.setenv("DATABASE_URL", dsettings.database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", dsettings.knowledge_dir)
    runner = CliRunner()
    added = runner.invoke(notices_cli, ["add", "--title", "爱耳日义诊", "--body", "免费听力检查。",
                                        "--at", "2099-03-03T09:00", "--time", "2099-03-03T09:30"])
    assert added.exit_code == 0, added.output
    assert "notice 1: scheduled for 2099-03-03 09:00" in added.output
    assert "mass sends left today" in added.output
    assert "爱耳日义诊" in runner.invoke(notices_cli, ["list"]).output
    assert runner.invoke(notices_cli, ["cancel", "1"]).exit_code == 0
    bad = runner.invoke(notices_cli, ["add", "--title", "x", "--body", "y", "--audience", "nobody"])
    assert bad.exit_code != 0 and "对象只能是" in bad.output
