"""Booking a home assessment visit by chat, as a resident experiences it (SQLite and PostgreSQL)."""
from __future__ import annotations

import re

import pytest

from bot.models import ConversationState
from bot.booking.models import Booking
from bot.booking.service import CODE_ALPHABET
from tests.test_booking_support import (
    Registry,
    active,
    add_round,
    book_by_chat,
    count,
    get_round,
    outbox_texts,
    visit_day,
)

CODE = re.compile(rf"预约码：([{CODE_ALPHABET}]{{6}})")


@pytest.fixture
def registry(services, monkeypatch):
    return Registry(services, monkeypatch)


def _date_text(days=5):
    day = visit_day(days)
    return f"{day.month}月{day.day}日"


def test_unregistered_resident_is_offered_registration_inline(chat, registry):
    reply = chat("预约评残", openid="o_new")
    if registry.fake is not None:
        assert registry.fake.registration_asked == ["BOOK_ASSESS"]
    assert "注册" in reply.text


def test_whole_flow_books_a_place_with_a_short_code(chat, registry, services):
    registry.register("o_a", address="鳌江镇河口村 3 号")
    rid = add_round(services, capacity=3)
    first = chat("预约评残", openid="o_a")
    assert "1. 卧床" in first.text and "4. 其他" in first.text
    category = chat("1", openid="o_a")
    assert "4. 肢体" in category.text and "7. 多重" in category.text
    address = chat("4", openid="o_a")
    assert "回复 1 使用：鳌江镇河口村 3 号" in address.text
    phone = chat("1", openid="o_a")
    assert "138****" in phone.text and "回复 1 使用" in phone.text
    rounds = chat("1", openid="o_a")
    assert _date_text() in rounds.text and "还剩 3 个名额" in rounds.text and "1." in rounds.text
    summary = chat("1", openid="o_a")
    assert "确认" in summary.text and "鳌江镇河口村 3 号" in summary.text and "138****" in summary.text
    done = chat("确认", openid="o_a")
    assert "预约成功" in done.text and _date_text() in done.text
    assert CODE.search(done.text), done.text
    assert get_round(services, rid).booked == 1 and active(services) == 1


def test_a_second_confirm_is_answered_without_a_second_booking(chat, registry, services):
    registry.register("o_b")
    rid = add_round(services, capacity=3)
    book_by_chat(chat, "o_b")
    code = CODE.search(chat("确认", openid="o_b").text).group(1)
    again = chat("确认", openid="o_b")
    assert "已经预约好了" in again.text and code in again.text
    assert get_round(services, rid).booked == 1 and active(services) == 1
    assert "预约上门评残" in chat("菜单", openid="o_b").text  # the idle "done" step lets go


def test_re_delivery_of_the_confirmation_gets_the_same_reply(chat, registry, services):
    registry.register("o_c")
    rid = add_round(services)
    book_by_chat(chat, "o_c")
    first = chat.send("text", openid="o_c", Content="确认", msg_id="88001")
    again = chat.send("text", openid="o_c", Content="确认", msg_id="88001")
    assert again.text == first.text and "预约成功" in first.text
    assert get_round(services, rid).booked == 1


def test_new_address_and_typed_phone_are_used_and_the_address_is_remembered(chat, registry, services):
    registry.register("o_d", address=None)
    add_round(services)
    chat("预约上门", openid="o_d")
    chat("其他", openid="o_d")
    chat("家里没人能背他下楼", openid="o_d")
    ask = chat("肢体", openid="o_d")
    assert "地址" in ask.text and "回复 1 使用" not in ask.text
    chat("鳌江镇下厂村 8 号", openid="o_d")
    assert "不对" in chat("12345", openid="o_d").text
    chat("13912345678", openid="o_d")
    summary = chat("1", openid="o_d")
    assert "139****5678" in summary.text and "其他（家里没人能背他下楼）" in summary.text
    chat("确认", openid="o_d")
    from bot.booking import residents
    with services.sessions() as s:
        person = residents.registered_person(s, services.settings.data_key, "o_d")
    assert person.address == "鳌江镇下厂村 8 号"


def test_menu_key_and_dictated_typo_start_the_booking(chat, registry, services):
    registry.register("o_e")
    add_round(services)
    assert "为什么需要上门" in chat.click("BOOK_ASSESS", openid="o_e").text
    chat("取消", openid="o_e")
    assert "为什么需要上门" in chat("预约平残", openid="o_e").text


def test_the_policy_question_is_not_a_booking_command(chat, registry, services):
    registry.register("o_q")  # registered, with a round open: a booking command would start the flow
    add_round(services)
    for said in ("上门评残怎么申请", "上门评残要打哪个电话预约", "我爸瘫在床上起不来 能不能上门评残"):
        reply = chat(said, openid="o_q")
        assert reply.meta["route"] == "text:fallback:ask", (said, reply.meta["route"])
        assert "为什么需要上门" not in reply.text
    with services.sessions() as s:
        assert s.get(ConversationState, "o_q").flow is None


def test_cancel_word_leaves_the_flow_without_booking(chat, registry, services):
    registry.register("o_f")
    add_round(services)
    book_by_chat(chat, "o_f")
    assert "已取消" in chat("取消", openid="o_f").text
    assert active(services) == 0


def test_no_round_for_the_town_says_so_with_a_way_out(chat, registry, services):
    registry.register("o_g", town="南麂镇")
    add_round(services, towns=("鳌江镇",))
    reply = chat("预约评残", openid="o_g")
    assert "南麂镇最近没有可以预约" in reply.text and "回复 0 转人工" in reply.text


def test_rounds_for_other_categories_are_not_offered(chat, registry, services):
    registry.register("o_h")
    add_round(services, categories=[6], team="精神科评定组")
    chat("预约评残", openid="o_h")
    chat("2", openid="o_h")
    chat("4", openid="o_h")  # 肢体
    chat("鳌江镇新河村 12 号", openid="o_h")
    reply = chat("1", openid="o_h")
    assert "最近没有可以预约" in reply.text


def test_one_active_booking_per_resident(chat, registry, services):
    registry.register("o_i")
    add_round(services)
    add_round(services, days=6)
    book_by_chat(chat, "o_i")
    chat("确认", openid="o_i")
    again = chat("预约评残", openid="o_i")
    assert "已经有一个上门评残预约" in again.text and "改约" in again.text
    assert active(services) == 1


def test_full_round_offers_the_waitlist_and_a_cancellation_offers_the_place(chat, registry, services):
    rid = add_round(services, capacity=1)
    registry.register("o_first")
    registry.register("o_wait")
    book_by_chat(chat, "o_first")
    chat("确认", openid="o_first")
    replies = book_by_chat(chat, "o_wait")
    assert "已满" in replies[-2].text
    assert "已满" in replies[-1].text and "候补" in replies[-1].text
    joined = chat("1", openid="o_wait")
    assert "已登记候补" in joined.text and "第 1 位" in joined.text
    assert "候补名单上" in chat("我的预约", openid="o_wait").text
    assert "要取消" in chat("取消预约", openid="o_first").text
    assert "已取消" in chat("1", openid="o_first").text
    assert get_round(services, rid).booked == 0
    assert any("有空位了" in t and "候补确认" in t for t in outbox_texts(services, "o_wait"))
    got = chat("候补确认", openid="o_wait")
    assert "预约成功" in got.text and get_round(services, rid).booked == 1
    assert "没有空位通知" in chat("候补确认", openid="o_first").text


def test_my_booking_cancel_and_reschedule(chat, registry, services):
    registry.register("o_j")
    first = add_round(services, capacity=2)
    second = add_round(services, capacity=2, days=8, note="下午 2 点起")
    book_by_chat(chat, "o_j")
    code = CODE.search(chat("确认", openid="o_j").text).group(1)
    mine = chat.click("MY_BOOKING", openid="o_j")
    assert code in mine.text and _date_text() in mine.text and "前可以改约或取消" in mine.text
    listing = chat("改约", openid="o_j")
    assert _date_text(8) in listing.text and "下午 2 点起" in listing.text
    assert "对吗" in chat("1", openid="o_j").text
    moved = chat("确认", openid="o_j")
    assert "改约成功" in moved.text and code in moved.text and _date_text(8) in moved.text
    assert get_round(services, first).booked == 0 and get_round(services, second).booked == 1
    chat("取消预约", openid="o_j")
    assert "预约保留" in chat("2", openid="o_j").text and active(services) == 1
    chat("取消预约", openid="o_j")
    assert "已取消" in chat("确认", openid="o_j").text
    assert active(services) == 0 and get_round(services, second).booked == 0
    assert "没有上门评残预约" in chat("我的预约", openid="o_j").text


def test_cancelling_after_the_cutoff_is_refused_politely(chat, registry, services):
    registry.register("o_k")
    rid = add_round(services, days=2, cutoff_hours=0)
    book_by_chat(chat, "o_k")
    chat("确认", openid="o_k")
    with services.sessions.begin() as s:  # the deadline passes
        from bot.booking.models import AssessmentRound
        s.get(AssessmentRound, rid).cutoff_hours = 24 * 5
    reply = chat("取消预约", openid="o_k")
    assert "时间已经过了" in reply.text and "回复 0 转人工" in reply.text
    assert count(services, Booking, status="booked") == 1


def test_registration_inline_comes_back_to_the_booking(chat, registry, services):
    from tests.test_booking_support import id_number
    if registry.fake is not None:
        pytest.skip("registration (bot.people) is not installed")
    add_round(services)
    assert "注册" in chat("预约评残", openid="o_reg").text
    for said in ("1", "陈七", id_number(77), "13800007777"):
        chat(said, openid="o_reg")
    reply = chat("鳌江", openid="o_reg")
    assert "注册成功" in reply.text and "为什么需要上门" in reply.text
    for said in ("1", "4", "鳌江镇新河村 12 号", "1", "1"):  # the booking flow is already running
        chat(said, openid="o_reg")
    assert "预约成功" in chat("确认", openid="o_reg").text


def test_saying_do_not_cancel_keeps_the_booking(chat, registry, services):
    registry.register("o_keep")
    add_round(services)
    book_by_chat(chat, "o_keep")
    chat("确认", openid="o_keep")
    chat("取消预约", openid="o_keep")
    assert "预约保留" in chat("不要取消", openid="o_keep").text
    assert active(services) == 1


def test_forgetting_a_resident_frees_the_place_and_blanks_personal_fields(chat, registry, services):
    from bot.booking import service
    registry.register("o_forget")
    rid = add_round(services)
    book_by_chat(chat, "o_forget")
    chat("确认", openid="o_forget")
    with services.sessions.begin() as s:
        assert service.forget_resident(s, "o_forget") == 1
    assert get_round(services, rid).booked == 0
    with services.sessions() as s:
        row = s.query(Booking).one()
        assert row.status == "cancelled" and row.name_enc is None and row.phone_enc is None


def test_plain_cancel_word_in_the_cancel_confirmation_keeps_the_booking(chat, registry, services):
    registry.register("o_keep2")
    add_round(services)
    book_by_chat(chat, "o_keep2")
    chat("确认", openid="o_keep2")
    chat("取消预约", openid="o_keep2")
    reply = chat("取消", openid="o_keep2")  # leaves the confirmation step, says so plainly
    assert "没有取消预约" in reply.text and "仍然保留" in reply.text
    assert active(services) == 1


def test_delete_my_data_also_ends_bookings_and_job_subscriptions(chat, registry, services):
    registry.register("o_gone")
    rid = add_round(services)
    book_by_chat(chat, "o_gone")
    chat("确认", openid="o_gone")
    chat("订阅岗位 鳌江 包装", openid="o_gone")
    assert "确定删除" in chat("删除我的信息", openid="o_gone").text
    done = chat("1", openid="o_gone")
    assert "上门评残预约记录" in done.text and "岗位订阅 1 条" in done.text
    assert active(services) == 0 and get_round(services, rid).booked == 0
    assert "没有" in chat("我的订阅", openid="o_gone").text
