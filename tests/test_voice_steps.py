"""Conversation steps answered the way people speak (issue 14): who they are, yes, "不注册了"."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.people.models import Registration
from bot.answers.voice_words import is_leaving, is_stuck, is_yes, looks_like_request, relation_said
from tests.test_booking_support import Registry, active, add_round, book_by_chat
from tests.test_people_helpers import load, make_id, record


def _relation(services, openid="o_resident"):
    with services.sessions() as s:
        reg = s.scalars(select(Registration).where(Registration.openid == openid)).first()
        return reg.relation if reg else None


@pytest.mark.parametrize("said, relation", [("我是他妈妈", "家属（父母）"), ("我是她女儿", "家属（子女）"),
                                            ("帮我爸办", "家属（子女）"), ("给我儿子办", "家属（父母）"),
                                            ("给我自己办", "本人")])
def test_relation_step_understands_a_whole_sentence(chat, services, said, relation):
    id18 = make_id(501)
    load(services, [record(id_number=id18, name="王芳", phone="13900005678")])
    chat("注册")
    assert "姓名" in chat.voice(said).text
    for step in ("王芳", id18, "13900005678"):
        chat(step)
    assert "注册成功" in chat("昆阳").text
    assert _relation(services) == relation


def test_a_question_at_the_name_step_is_answered_not_taken_as_a_name(chat, services):
    chat("注册")
    chat("1")
    reply = chat.voice("护理补贴怎么申请")
    assert reply.meta.get("topic") == "subsidy.care" and "先不注册了" in reply.text
    assert _relation(services) is None
    again = chat("张三")  # the flow is over: a name alone is not a registration any more
    assert "身份证号" not in again.text


@pytest.mark.parametrize("said", ["我不注册了", "不注册了吧", "算了不注册了"])
def test_leaving_registration_in_own_words(chat, said):
    chat("注册")
    chat("2")
    reply = chat(said)
    assert "已取消" in reply.text and "1. " in reply.text  # the cancel words, then the main menu
    assert "请输入" not in chat("3").text


@pytest.mark.parametrize("said", ["我不弄了太麻烦", "不要了", "算了不办了以后再说"])
def test_leaving_with_a_reason_after_it(chat, said):
    chat("注册")
    reply = chat(said)
    assert "已取消" in reply.text and "1. 政策咨询" in reply.text
    assert "请输入" not in chat("2").text


def test_stuck_at_a_step_gets_a_person_offered_and_the_step_stays(chat, services):
    id18 = make_id(506)
    load(services, [record(id_number=id18, name="王芳", phone="13900005678")])
    chat("注册")
    chat("1")
    help_ = chat.voice("这个我不会弄")
    assert "工作人员帮您办" in help_.text and "回复 0 转人工" in help_.text
    assert "身份证号" in chat("王芳").text  # nothing lost: the name step was still open
    for step in (id18, "13900005678"):
        chat(step)
    assert "注册成功" in chat("昆阳").text


@pytest.fixture
def registry(services, monkeypatch):
    return Registry(services, monkeypatch)


@pytest.mark.parametrize("yes", ["对的", "没问题", "嗯", "行", "好的。", "是的"])
def test_booking_confirm_accepts_everyday_yes(chat, registry, services, yes):
    registry.register("o_y")
    add_round(services, capacity=2)
    book_by_chat(chat, "o_y")
    assert "预约成功" in chat.voice(yes, openid="o_y").text
    assert active(services) == 1


def test_booking_left_with_bu_yue_le(chat, registry, services):
    registry.register("o_n")
    add_round(services, capacity=2)
    book_by_chat(chat, "o_n")
    reply = chat("不约了", openid="o_n")
    assert "已取消" in reply.text and active(services) == 0
    assert "预约成功" not in chat("确认", openid="o_n").text


def test_a_reason_in_own_words_is_an_answer_not_a_call_for_help(chat, registry, services):
    registry.register("o_r")
    add_round(services, capacity=2)
    chat("预约评残", openid="o_r")
    assert "一句话" in chat("4", openid="o_r").text  # 其他原因
    assert "哪一类残疾" in chat("他看不懂字", openid="o_r").text


def test_words():
    assert relation_said("我是他的老伴") == "1" and relation_said("替我奶奶注册") == "4"
    assert relation_said("张三") is None and relation_said("我是") is None
    assert is_yes("对对") and not is_yes("不对") and not is_yes("对不起")
    assert is_leaving("我不约了") and not is_leaving("不") and not is_leaving("约了")
    assert is_leaving("不借了") and is_leaving("我不弄了太麻烦") and not is_leaving("不麻烦")
    assert is_stuck("看不懂") and is_stuck("这个我不会填") and not is_stuck("他不会说话也不会写字")
    assert looks_like_request("办证进度") and not looks_like_request("欧阳娜娜")
