"""The outbox dispatcher against the fake WeChat API over loopback: channels, retries, faults."""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from bot.db import LOCAL_TZ, utcnow
from bot.outbox.notify import delivery_report, notify, resolve_unknown
from bot.outbox.dispatcher import Dispatcher, dispatch_due
from bot.models import Follower, OutboxMessage
from bot.outbox.enqueue import enqueue_mass_text, enqueue_text
from tests.support.delivery import add_follower
from tests.support.wechat import wait_for


def row(dsessions, key: str) -> OutboxMessage:
    with dsessions() as session:
        return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))


def run(dsettings, dsessions, clock=None, **options):
    options.setdefault("concurrency", 2)
    if clock is not None:
        options["clock"] = clock
    return dispatch_due(dsettings, dsessions, **options)


def test_notify_picks_template_or_text_and_respects_the_window(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_recent", hours_since_message=2)
    add_follower(dsessions, "o_old", hours_since_message=72)
    with dsessions.begin() as s:
        long_item = "上门评残预约（鳌江镇二〇二六年第三轮集中评定）"
        notify(s, "o_old", "booking_confirm", {"item": long_item, "time": "12月3日上午", "place": "鳌江镇"},
               "b:1", "您的预约成功")
        notify(s, "o_recent", "job_digest", {"title": "岗位"}, "j:1", "本周有 3 个新岗位")
        notify(s, "o_old", "job_digest", {"title": "岗位"}, "j:2", "本周有 3 个新岗位")
        notify(s, "o_old", "job_digest", {"title": "岗位"}, "j:2", "重复调用不会再排一条")
    stats = run(dsettings, dsessions)
    assert stats["sent"] == 2
    template = wx_fake.sent("o_old", "template")
    assert len(template) == 1 and template[0]["body"]["template_id"] == "TPL_BOOKING_CONFIRM"
    values = [v["value"] for v in template[0]["data"].values()]
    assert all(len(v) <= 20 for v in values) and values[0].endswith("…")
    assert [r["content"] for r in wx_fake.sent("o_recent", "custom")] == ["本周有 3 个新岗位"]
    closed = row(dsessions, "j:2")
    assert closed.status == "failed" and "window closed" in closed.last_error
    assert row(dsessions, "j:1").channel == "custom"


def test_customer_service_text_falls_back_to_template_after_48_hours(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_a", hours_since_message=50)
    with dsessions.begin() as s:
        enqueue_text(s, "o_a", "您的预约已确认", "t:1", fallback_kind="booking_confirm",
                     fallback_fields={"item": "上门评残"})
    run(dsettings, dsessions)
    assert [r["kind"] for r in wx_fake.sent("o_a")] == ["template"]
    assert row(dsessions, "t:1").status == "sent" and row(dsessions, "t:1").channel == "template"


def test_unsubscribed_followers_are_skipped(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_gone", subscribed=False)
    with dsessions.begin() as s:
        enqueue_text(s, "o_gone", "hello", "t:gone")
    run(dsettings, dsessions)
    assert wx_fake.sent("o_gone") == [] and row(dsessions, "t:gone").status == "cancelled"


def test_busy_is_retried_with_backoff_until_sent_once(dsettings, dsessions, wx_fake, dclock):
    add_follower(dsessions, "o_b")
    wx_fake.fault("message/custom/send", -1, times=2)
    with dsessions.begin() as s:
        enqueue_text(s, "o_b", "稍后送达", "t:busy")
    run(dsettings, dsessions, dclock)
    first = row(dsessions, "t:busy")
    assert first.status == "pending" and first.next_attempt_at > utcnow() + dt.timedelta(seconds=10)
    run(dsettings, dsessions, dclock)  # not due yet: nothing happens
    assert wx_fake.state.call_counts()["message/custom/send"] == 1
    for _ in range(3):
        dclock.advance(hours=1)
        run(dsettings, dsessions, dclock)
    done = row(dsessions, "t:busy")
    assert done.status == "sent" and done.attempts == 3
    assert len(wx_fake.sent("o_b")) == 1


def test_daily_quota_error_waits_for_the_next_local_day(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_q")
    wx_fake.fault("message/template/send", 45009)
    with dsessions.begin() as s:
        notify(s, "o_q", "booking_confirm", {"item": "x"}, "q:1", "text")
    run(dsettings, dsessions)
    r = row(dsessions, "q:1")
    today = utcnow().astimezone(LOCAL_TZ).date()
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), LOCAL_TZ)
    assert r.status == "pending" and r.next_attempt_at >= tomorrow and "45009" in r.last_error


def test_permanent_errors_are_recorded_not_retried(dsettings, dsessions, wx_fake, dclock):
    for openid in ("o_left", "o_closed", "o_bad"):
        add_follower(dsessions, openid)
    wx_fake.fault("message/custom/send", 43004, touser="o_left")
    wx_fake.fault("message/custom/send", 45015, touser="o_closed")
    wx_fake.fault("message/custom/send", 40003, touser="o_bad")
    with dsessions.begin() as s:
        for openid in ("o_left", "o_closed", "o_bad"):
            enqueue_text(s, openid, "hi", f"p:{openid}")
    run(dsettings, dsessions, dclock)
    dclock.advance(days=2)
    run(dsettings, dsessions, dclock)
    assert wx_fake.state.call_counts()["message/custom/send"] == 3
    assert [row(dsessions, f"p:{o}").status for o in ("o_left", "o_closed", "o_bad")] == ["failed"] * 3
    assert row(dsessions, "p:o_left").last_error.startswith("43004")
    with dsessions() as s:
        assert s.get(Follower, "o_left").subscribed is False  # WeChat told us: not following any more


def test_refused_template_falls_back_to_text_inside_the_window(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_t")
    with dsessions.begin() as s:  # cert_status has an id WeChat refuses (40037)
        notify(s, "o_t", "cert_status", {"status": "已受理"}, "c:1", "您的残疾人证申请已受理")
    run(dsettings, dsessions)
    assert [r["content"] for r in wx_fake.sent("o_t")] == ["您的残疾人证申请已受理"]
    assert row(dsessions, "c:1").status == "sent"


def test_slow_answer_template_is_resent_under_client_msg_id_and_arrives_once(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_slow")
    wx_fake.fault("message/template/send", delay=1.6)  # past the 1 s timeout; the wx_fake still delivers
    with dsessions.begin() as s:
        notify(s, "o_slow", "booking_confirm", {"item": "x"}, "s:1", "text")
    run(dsettings, dsessions)
    r = row(dsessions, "s:1")
    assert r.status == "pending" and r.ambiguous_since is not None
    with dsessions.begin() as s:  # retry now rather than in 5-15 s
        s.get(OutboxMessage, r.id).next_attempt_at = utcnow()
    # The slow first call still reaches the fake after our timeout: wait for it, then retry.
    wait_for(lambda: wx_fake.sent("o_slow"), what="the slow template call to arrive")
    run(dsettings, dsessions)
    assert row(dsessions, "s:1").status == "sent"
    assert len(wx_fake.sent("o_slow")) == 1  # the repeat was dropped by client_msg_id


def test_slow_answer_custom_message_goes_to_staff_not_resent(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_slow2")
    wx_fake.fault("message/custom/send", delay=1.6)
    with dsessions.begin() as s:
        enqueue_text(s, "o_slow2", "结果", "s:2")
    run(dsettings, dsessions)
    r = row(dsessions, "s:2")
    assert r.status == "unknown" and "Staff" in r.last_error
    with dsessions() as s:
        assert [p["id"] for p in delivery_report(s)["problems"]] == [r.id]
    with dsessions.begin() as s:
        assert resolve_unknown(s, r.id, "sent", by="staff1")
    assert row(dsessions, "s:2").status == "sent"
    # The slow call did reach WeChat (staff were right to mark it sent), exactly once.
    assert len(wait_for(lambda: wx_fake.sent("o_slow2"), what="the slow call to arrive")) == 1


def test_http_errors_and_refused_connections_are_transient(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_h")
    wx_fake.fault("message/custom/send", status=502)
    with dsessions.begin() as s:
        enqueue_text(s, "o_h", "a", "h:1")
    run(dsettings, dsessions)
    assert row(dsessions, "h:1").status == "pending" and row(dsessions, "h:1").ambiguous_since is None
    with dsessions.begin() as s:
        enqueue_text(s, "o_h", "b", "h:2")
    offline = dsettings.with_(wechat_api_base="http://127.0.0.1:9")
    run(offline, dsessions)
    r = row(dsessions, "h:2")
    assert r.status == "pending" and r.ambiguous_since is None  # never connected: safe to retry


def test_mass_send_quota_and_clientmsgid(dsettings, dsessions, wx_fake, dknowledge):
    from tests.support.delivery import set_limits
    set_limits(dknowledge, mass_daily_quota=1)
    with dsessions.begin() as s:
        enqueue_mass_text(s, "第一条", "m:1", to_all=True)
        enqueue_mass_text(s, "第二条", "m:2", to_all=True)
    run(dsettings, dsessions)
    assert [r["content"] for r in wx_fake.sent(kind="mass")] == ["第一条"]
    second = row(dsessions, "m:2")
    assert second.status == "pending" and "quota" in second.last_error
    assert second.next_attempt_at > utcnow() + dt.timedelta(minutes=1)
    # A resend of the first (as after a crash) is refused by WeChat with 45065: recorded as sent, once.
    with dsessions.begin() as s:
        first = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "m:1"))
        first.status, first.next_attempt_at = "pending", utcnow()
    set_limits(dknowledge, mass_daily_quota=5)
    run(dsettings, dsessions)
    assert row(dsessions, "m:1").status == "sent" and "45065" in row(dsessions, "m:1").last_error
    assert len(wx_fake.sent(kind="mass")) == 1


def test_running_twice_sends_nothing_twice(dsettings, dsessions, wx_fake):
    for i in range(30):
        add_follower(dsessions, f"o_{i}")
    with dsessions.begin() as s:
        for i in range(30):
            notify(s, f"o_{i}", "booking_confirm", {"item": "x"}, f"r:{i}", "t")
            enqueue_text(s, f"o_{i}", "hello", f"rt:{i}")
    d = Dispatcher(dsettings, dsessions, concurrency=4, batch_size=7)
    d.run()
    d.run()
    d.close()
    assert len(wx_fake.sent()) == 60
    assert sorted(r["touser"] for r in wx_fake.sent(kind="template")) == sorted(f"o_{i}" for i in range(30))


def test_mass_calls_are_paced(dsettings, dsessions, wx_fake):
    with dsessions.begin() as s:
        for i in range(3):
            enqueue_mass_text(s, f"m{i}", f"pace:{i}", openids=["o_1", "o_2"])
    started = time.monotonic()
    run(dsettings, dsessions, rates={"mass": 60})  # 1 a second, a burst of 2
    assert time.monotonic() - started >= 0.9
    assert len(wx_fake.sent(kind="mass")) == 3
