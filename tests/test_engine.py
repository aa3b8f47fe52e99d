"""The conversation engine as a resident experiences it: menus, numbers, flows, cancel, timeouts."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import handlers.menu
from bot.db import utcnow
from bot.engine.features import Feature, Features
from bot.models import ConversationState, Follower, MessageLog, OutboxMessage
from bot.privacy.retention import purge_old_rows
from bot.engine.router import Router
from tests.support import signup_flow


@pytest.fixture
def with_signup(services):
    """The real handlers plus the test flow, in router order (menu first, flow module next)."""
    signup = Feature("signup", handlers=(signup_flow.start,), flows=(signup_flow.signup,))
    services.router = Router.from_features(Features([handlers.menu.FEATURE, signup]))
    return services


def test_welcome_offers_numbered_menu_and_a_number_picks_it(chat):
    welcome = chat.event("subscribe")
    assert "1." in welcome.text and "0. 转人工" in welcome.text and "语音" in welcome.text
    contact = chat("6")
    assert "电话" in contact.text


def test_a_number_outside_the_list_repeats_the_list(chat):
    chat.event("subscribe")
    reply = chat("9")
    assert "没有第 9 项" in reply.text and "1. 政策咨询" in reply.text


@pytest.mark.parametrize("said", ["7", "７", "七", "第7项"])
def test_a_number_before_any_list_picks_from_the_main_menu_and_says_which(chat, said):
    reply = chat(said)  # a first message: the menu was read on a flyer
    assert reply.text.startswith("7. 看看我能领哪些补贴") and "抱歉" not in reply.text
    assert reply.meta["route"].startswith("text:regex:number_without_a_list")


@pytest.mark.parametrize("first", [None, "菜单"])
def test_88_is_goodbye_not_an_item_number(chat, first):
    if first:
        chat(first)
    reply = chat("88")
    assert "没有第" not in reply.text and reply.meta.get("entry") == "chat.bye", reply.text


def test_a_number_beyond_the_main_menu_before_any_list_shows_it(chat):
    reply = chat("9")
    assert "没有第 9 项" in reply.text and "1. 政策咨询" in reply.text


def test_full_width_and_chinese_numerals_pick_too(chat):
    chat.event("subscribe")
    assert "电话" in chat("６").text
    assert "电话" in chat("六").text


def test_zero_hands_over_to_a_human_and_queues_the_phone_message(chat, services):
    reply = chat("0")
    assert reply.transfer
    with services.sessions() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.openid == "o_resident"))
    assert row is not None and "12345" in row.payload["text"]["content"]


def test_sad_emoji_alone_get_a_word_of_care_and_a_way_to_a_person(chat):
    reply = chat("😭😭")
    assert "难过" in reply.text and "回复 0 转人工" in reply.text and "1. 政策咨询" in reply.text
    assert "难过" not in chat("👍").text and "1. 政策咨询" in chat("👍").text


def test_voice_transcript_is_routed_like_text(chat):
    assert "1. 政策咨询" in chat.voice("菜单").text


def test_flow_survives_across_messages_and_finishes_once(chat, with_signup):
    assert "姓名" in chat("报名").text
    assert "张三，您好" in chat("张三").text
    assert chat("鳌江镇").text == "报名成功！"
    with with_signup.sessions() as s:
        assert signup_flow.outbox_count(s, "o_resident") == 1
        assert s.get(ConversationState, "o_resident").flow is None


def test_fuzzy_command_with_a_typo_starts_the_flow(chat, with_signup):
    assert "姓名" in chat("我要抱名").text


@pytest.mark.parametrize("word", ["取消", "退出", " 取 消！", "算了"])
def test_cancel_always_works_inside_a_flow(chat, with_signup, word):
    chat("报名")
    reply = chat(word)
    assert "已取消" in reply.text and "1. 政策咨询" in reply.text
    with with_signup.sessions() as s:
        assert s.get(ConversationState, "o_resident").flow is None


def test_human_inside_a_flow_leaves_the_flow(chat, with_signup):
    chat("报名")
    assert chat("人工").transfer
    assert "姓名" not in chat("菜单").text


def test_timed_out_flow_is_dropped_with_a_note(chat, with_signup):
    chat("报名")
    with with_signup.sessions.begin() as s:
        s.get(ConversationState, "o_resident").expires_at = utcnow() - dt.timedelta(seconds=1)
    reply = chat("菜单")
    assert "超过时间" in reply.text and "1. 政策咨询" in reply.text


def test_two_residents_have_separate_flows(chat, with_signup):
    chat("报名", openid="o_a")
    chat("报名", openid="o_b")
    assert "李四，您好" in chat("李四", openid="o_b").text
    assert "王五，您好" in chat("王五", openid="o_a").text


def test_unsubscribe_marks_follower_and_cancels_pending_messages(chat, services):
    chat("0")
    chat.event("unsubscribe")
    with services.sessions() as s:
        assert s.get(Follower, "o_resident").subscribed is False
        statuses = {r.status for r in s.scalars(select(OutboxMessage))}
    assert statuses == {"cancelled"}


def test_menu_click_is_routed_by_key(chat):
    assert "1. 政策咨询" in chat.click("MAIN").text
    assert "暂时还不能" in chat.click("SOMETHING_NOT_BUILT").text


def test_every_message_is_logged_with_route_and_latency(chat, services):
    chat("菜单")
    chat.send("image", PicUrl="http://127.0.0.1/a.png", MediaId="x")
    with services.sessions() as s:
        rows = s.scalars(select(MessageLog).order_by(MessageLog.id)).all()
    assert [r.msg_type for r in rows] == ["text", "image"]
    assert rows[0].text == "菜单" and rows[0].route and rows[0].latency_ms is not None


def test_retention_purges_old_log_rows_only(chat, services):
    chat("菜单")
    chat("菜单")
    with services.sessions.begin() as s:
        old = s.scalars(select(MessageLog)).first()
        old.created_at = utcnow() - dt.timedelta(days=400)
    assert purge_old_rows(services.sessions, retention_days=180)["message_log"] == 1
    with services.sessions() as s:
        assert s.query(MessageLog).count() == 1


def test_numbers_typed_anywhere_are_masked_in_the_message_log(chat, services):
    chat("我的身份证是 3303 2619 9001 0112 34 电话13812345678")
    with services.sessions() as s:
        logged = s.scalars(select(MessageLog)).one().text
    assert "19900101" not in logged and "12345678" not in logged and "3303" in logged


def test_a_click_opens_only_the_short_window_and_reports_create_no_follower(chat, services):
    from bot.outbox.policy import FollowerView, window_open
    chat.click("MAIN", openid="o_clicker")
    chat.event("MASSSENDJOBFINISH", openid="o_wechat_mass_helper")
    with services.sessions() as s:
        clicker = s.get(Follower, "o_clicker")
        assert s.get(Follower, "o_wechat_mass_helper") is None
    assert clicker.last_message_at is None and clicker.last_event_at is not None
    view = FollowerView(True, clicker.last_message_at, clicker.last_event_at)
    assert window_open(view, clicker.last_event_at + dt.timedelta(seconds=20))
    assert not window_open(view, clicker.last_event_at + dt.timedelta(minutes=2))
    chat("你好", openid="o_clicker")
    with services.sessions() as s:
        talker = s.get(Follower, "o_clicker")
    view = FollowerView(True, talker.last_message_at, talker.last_event_at)
    assert window_open(view, talker.last_message_at + dt.timedelta(hours=47))
    assert not window_open(view, talker.last_message_at + dt.timedelta(hours=49))
