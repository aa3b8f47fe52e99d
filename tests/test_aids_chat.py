"""Borrowing a device by chat: registration first, device → town → station → confirm, the waitlist,
"我的借用", cancelling, and questions about the rules left to the knowledge answer."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.aids import service
from bot.aids.models import AidLoan, AidStock, AidWait
from tests.test_people_helpers import register


def stations(services, *rows):
    """rows: (town, name, device, count[, address, hours, phone]) → stock ids."""
    ids = []
    with services.sessions.begin() as s:
        for town, name, device, count, *facts in rows:
            station = service.add_station(s, town, name, *facts)
            ids.append(service.set_stock(s, station.id, device, count).id)
    return ids


def test_a_registered_resident_borrows_a_wheelchair_in_their_own_town(chat, services):
    stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 2, "鳌江镇府前路 1 号", "工作日 8:30-17:00", "0577-00000000"),
             ("鳌江镇", "鳌江二号驿站", "轮椅", 0))
    register(chat, town="鳌江")
    first = chat("我爸出院要坐两个月轮椅 不想买 有没有地方能借").text
    assert "鳌江镇现在可以借轮椅的驿站" in first and "1. 鳌江共享辅具驿站：可借 2 台" in first
    assert "二号" not in first  # nothing to lend there now
    assert "最长 90 天" in chat("1").text
    done = chat("确认").text
    code = re.search(r"借用码：(J\w{5})", done).group(1)
    assert "府前路 1 号" in done and "8:30-17:00" in done and "身份证" in done and "前去取" in done
    assert "待公布" not in done
    mine = chat("我的借用").text
    assert code in mine and "前去取" in mine
    again = chat("借轮椅").text
    assert code in again and "已经预约或借用" in again
    with services.sessions() as s:
        assert s.scalar(select(AidStock.available).where(AidStock.device == "轮椅", AidStock.count == 2)) == 1


def test_unknown_station_facts_say_pending_and_give_the_way_out(chat, services):
    stations(services, ("水头镇", "水头共享辅具驿站", "助行器", 1))
    register(chat, town="鳌江")
    assert "1. 轮椅" in chat("借辅具").text
    assert "鳌江镇的共享辅具驿站现在没有可借的助行器" in chat("2").text
    assert "水头镇现在可以借助行器" in chat("水头").text
    chat("1")
    done = chat("确认").text
    assert "地址：待公布" in done and "开放时间：待公布" in done and "驿站电话：待公布" in done
    assert "回复 0 转人工" in done


def test_none_available_joins_the_waitlist(chat, services):
    stations(services, ("鳌江镇", "鳌江共享辅具驿站", "护理床", 1))
    with services.sessions.begin() as s:
        service.reserve(s, s.scalar(select(AidStock.id)), "o_other", "wx:o_other")
    register(chat, town="鳌江")
    assert "没有可借的护理床" in chat("有没有护理床借").text
    assert "排第 1 位" in chat("1").text
    with services.sessions() as s:
        assert s.scalar(select(AidWait.device)) == "护理床"


def test_cancel_in_chat_gives_the_device_back(chat, services):
    [stock_id] = stations(services, ("鳌江镇", "鳌江共享辅具驿站", "拐杖", 1))
    register(chat, town="鳌江")
    chat("想借个拐杖")
    chat("1")
    chat("确认")
    assert "要取消哪一个预约" in chat("取消借用").text
    assert "已取消拐杖的预约" in chat("1").text
    with services.sessions() as s:
        assert s.get(AidStock, stock_id).available == 1
        assert s.scalar(select(AidLoan.status)) == "cancelled"
    assert "没有预约或借用" in chat("我的借用").text


def test_borrowing_needs_registration_then_comes_back(chat, services):
    stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 1))
    first = chat("借轮椅").text
    assert "借辅具要先注册" in first  # says why the form comes before the wheelchair
    back = register(chat, town="鳌江", start="借轮椅").text
    assert "注册成功" in back and "可以借轮椅的驿站" in back, back


def test_questions_about_the_rules_get_the_knowledge_answer(chat, services):
    reply = chat("借个助行器要交押金吗").text
    assert "想借哪种" not in reply and "借轮椅" in reply
    returning = chat("借来的拐杖用完了去哪还")  # returning is a question, not a new loan
    assert returning.meta.get("topic") == "aids.sharing", returning.text


def test_dictated_request_and_leaving_midway(chat, services):
    stations(services, ("鳌江镇", "鳌江共享辅具驿站", "助行器", 1))
    register(chat, town="鳌江")
    assert "可以借助行器的驿站" in chat.voice("有没有助行器借。").text
    left = chat("不借了").text
    assert "不借了，没有预约" in left
    with services.sessions() as s:
        assert s.scalar(select(AidLoan.id)) is None


def test_extend_once_in_chat_unless_someone_waits(chat, services):
    [stock_id] = stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 1))
    register(chat, town="鳌江")
    assert "没有借出中的辅具" in chat("续借").text
    chat("借轮椅")
    chat("1")
    code = re.search(r"借用码：(J\w{5})", chat("确认").text).group(1)
    with services.sessions.begin() as s:
        due = service.mark(s, code, "picked_up", "wang").due
    assert code in chat("续借").text
    later = due + __import__("datetime").timedelta(days=90)
    assert f"新的归还日期：{later.month}月{later.day}日" in chat("1").text
    chat("续借")
    assert "已经续借过一次" in chat("1").text
    with services.sessions.begin() as s:  # a second loan, now with someone waiting for it
        service.set_stock(s, s.get(AidStock, stock_id).station_id, "拐杖", 1)
        stick = service.reserve(s, service.choices(s, "鳌江镇", "拐杖")[0][1].id, "o_resident", "x")
        service.mark(s, stick.code, "picked_up", "wang")
        from bot.aids.waitlist import join_wait
        join_wait(s, "o_w", "wx:o_w", "拐杖", "鳌江镇")
    chat("续借")
    assert "有人在排队等" in chat("2").text


def test_the_menu_entry_starts_borrowing(chat, services):
    stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 1))
    register(chat, town="鳌江")
    assert "想借哪种" in chat.click("AIDS_BORROW").text
    assert "可以借轮椅的驿站" in chat("轮椅").text


def test_another_command_midway_leaves_and_is_answered(chat, services):
    """“我能领什么” where the waitlist question was asked: the resident gets the check, not a re-ask."""
    stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 0))
    register(chat, town="鳌江")
    assert "没有可借的轮椅" in chat("借轮椅").text
    reply = chat("我能领什么").text
    assert "先不借了" in reply and "第 1 题：给谁查？" in reply
    chat("取消")
    assert "没有可借的轮椅" in chat("借轮椅").text
    assert "排第 1 位" in chat("1").text  # numbers and yes-words stay answers of the flow
