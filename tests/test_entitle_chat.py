"""“我能领什么” through the real /wechat path: questions, result, next steps; profile neither kept nor logged."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.entitle.counts import EntitlementShown
from bot.models import ConversationState, MessageLog
from tests.test_people_helpers import load, make_id, record, register


def _say(wechat_http, *messages, openid="o_check"):
    return [wechat_http.text(m, openid=openid)["text"] for m in messages]


def _state(services, openid):
    with services.sessions() as s:
        return s.get(ConversationState, openid)


def test_family_member_walks_through_seven_questions_and_opens_how_to_apply(wechat_http, services):
    replies = _say(wechat_http, "我能领什么", "2", "1", "肢体的", "一级", "45岁", "低保边缘", "3")
    asked = [r for r in replies if re.search(r"第 \d 题", r)]
    assert len(asked) == 7 and "第 8 题" not in "".join(replies)
    result = replies[-1]
    assert len(result) <= 600
    assert "1. 单独申请低保：可能符合，以审核为准。低保边缘家庭的一级、二级残疾人" in result
    assert "2. 重度残疾人护理补贴：符合条件。一级、二级重度残疾，不看家里收入" in result
    assert "找工作和岗位订阅：符合条件" in result and "回复数字看怎么申请" in result
    assert "生活补贴和护理补贴两项都符合的，可以同时领" in result and "转人工" in result
    state = _state(services, "o_check")
    assert state.flow is None and state.data == {}  # the answers went with the flow
    assert "护理补贴" in wechat_http.text("2", openid="o_check")["text"]  # the numbered pick opens the entry
    with services.sessions() as s:
        logs = list(s.scalars(select(MessageLog).where(MessageLog.openid == "o_check")
                              .order_by(MessageLog.id)))
    assert [l.text for l in logs][:8] == ["我能领什么", "2", "1", "肢体的", "一级", "45岁", "低保边缘", "3"]
    for log in logs:  # the profile is nowhere in the routing details staff read
        assert "低保边缘" not in repr(log.detail) and "一级" not in (log.route or "")


def test_voice_mother_of_a_three_year_old_with_autism(wechat_http):
    said = ["我能享受哪些政策", "给我儿子查", "没有", "孩子是自闭症", "三岁", "低保户", "在平阳"]
    replies = [wechat_http.send("voice", "o_mum", MediaId="m1", Format="amr", Recognition=s)["text"]
               for s in said]
    result = replies[-1]
    assert "1. 先办残疾人证：符合条件" in result
    assert "2. 残疾儿童康复救助：符合条件。0-6 岁的残疾孩子，比如孤独症、脑瘫、听力残疾，家里困难" in result
    assert "康复" in wechat_http.text("2", openid="o_mum")["text"]


def test_cancel_leaves_and_keeps_nothing(wechat_http, services):
    _say(wechat_http, "政策体检", "1", "1", openid="o_c")
    assert "不查了" in wechat_http.text("取消", openid="o_c")["text"]
    state = _state(services, "o_c")
    assert state.flow is None and state.data == {}


def test_menu_button_starts_the_check(chat):
    assert "第 1 题：给谁查？" in chat.click("ENTITLE").text


def test_a_what_can_i_get_question_the_matcher_only_lists_offers_the_check(chat):
    # A story-like "能领什么补贴" gets topics to choose from, and the check as the last choice.
    reply = chat("我儿子智力残疾 十八岁了 能领什么补贴")
    assert reply.meta["kind"] == "suggest" and reply.options[-1][1] == "menu:ENTITLE"
    assert "第 1 题：给谁查？" in chat(str(len(reply.options))).text
    plain = chat("残疾证丢了 照片要几张")  # no such question: no such option
    assert all(o[1] != "menu:ENTITLE" for o in plain.options or [])


def test_a_question_instead_of_an_answer_is_answered(chat):
    chat("有哪些补贴")
    reply = chat("护理补贴怎么申请")
    assert "先不做政策体检" in reply.text and "护理补贴" in reply.text
    assert chat("1").text  # numbers are no longer taken by the check
    chat("我能领什么")
    assert "请回复数字选择" in chat("菜单").text  # another command leaves the check too


def test_unclear_answers_give_a_second_message_on_more(chat, services):
    replies = [chat(s).text for s in ("我能领什么", "1", "5", "8", "5", "5", "3")]
    first = replies[-1]
    assert "可能符合，以审核为准" in first and "更多" in first and len(first) <= 600
    assert "要看情况：有残疾人证，家里是低保户" in first  # a 不清楚 answer: the condition, not a verdict
    pages = [first]
    while "回复“更多”" in pages[-1] and len(pages) < 5:
        pages.append(chat("更多").text)
    assert len(pages) >= 2 and all(p.startswith("接上条") and len(p) <= 600 for p in pages[1:])
    numbers = [int(n) for p in pages for n in re.findall(r"^(\d+)\. ", p, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))  # numbered on across the messages
    number = re.search(r"^(\d+)\. 老年人补贴和养老服务", pages[-1], re.M).group(1)
    assert "民政部门" in chat(number).text
    assert "残疾人证是认定残疾类别和等级的凭证" in chat("1").text  # the first message's numbers still work


def test_registered_resident_only_confirms_what_the_registry_knows(chat, services):
    id18 = make_id(611, born="19700315")
    load(services, [record(id_number=id18, name="张三", category=4, grade=2, step="已发证", issued="2020-01-01",
                           valid="2030-01-01", town="鳌江镇")])
    assert "核对一致" in register(chat, "张三", id18).text
    first = chat("我能领什么").text
    assert "肢体二级" in first and "18-59 岁" in first and "鳌江镇" in first and "1970" not in first
    replies = [chat(s).text for s in ("1", "都不是", "在工作")]
    assert replies[0].startswith("第 2 题：家里是低保户吗")
    assert "第 4 题" not in "".join(replies)
    assert "重度残疾人护理补贴：符合条件" in replies[-1]


def test_counts_per_benefit_without_who(chat, services):
    for openid in ("o_1", "o_2"):
        for said in ("我能领什么", "1", "1", "4", "1", "3", "4", "2"):
            chat(said, openid=openid)
    with services.sessions() as s:
        counts = {r.benefit_id: r.count for r in s.scalars(select(EntitlementShown))}
    assert counts["care_subsidy"] == 2 and "living_subsidy" not in counts
    assert {c.name for c in EntitlementShown.__table__.columns} == {"day", "benefit_id", "count"}


def test_the_main_menu_and_the_welcome_offer_the_check(chat):
    """A resident who does not know a benefit's name finds the check from the menu and the welcome."""
    menu = chat("菜单")
    number = next(line.split(".")[0] for line in menu.text.splitlines() if "我能领哪些补贴" in line)
    assert "第 1 题：给谁查？" in chat(number).text
    assert "我能领什么" in chat.event("subscribe").text
