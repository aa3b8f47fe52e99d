"""Round 6 (issue 11): small talk said beside a question, other offices' papers, neighbouring topics.
Runs with and without the embedding (WXBOT_SEMANTIC=0). Questions written for these tests, not
taken from any eval set."""
from __future__ import annotations

import pytest

from tests.support.matcher import answered
from handlers import policy


# ---- 1. small talk beside a question ----------------------------------------------------------

def test_a_question_after_small_talk_gets_the_answer_and_one_line_for_the_small_talk(bundle, match):
    result = match("你是机器人吗 我问护理补贴")
    assert answered(result) == "subsidy.care", result.explain()
    assert result.aside is not None and result.aside.entry_id == "chat.who"
    reply = policy.respond("你是机器人吗 我问护理补贴", bundle)
    first, second = reply.text.splitlines()[:2]
    assert "机器人" in first and "护理补贴" in second  # who we are in one line, then the answer
    assert reply.meta["topic"] == "subsidy.care" and reply.meta["explain"]["aside"] == "chat.who"


def test_a_goodbye_beside_a_question_gets_no_line_of_its_own(bundle, match):
    # "再见" just before the answer would read as if the conversation ended there.
    result = match("拜拜 残疾证到期了怎么换")
    assert answered(result) == "cert.renew" and result.aside is not None and result.aside.entry_id == "chat.bye"
    reply = policy.respond("拜拜 残疾证到期了怎么换", bundle)
    assert "再见" not in reply.text.splitlines()[0] and "残疾人证" in reply.text.splitlines()[0]


@pytest.mark.parametrize("question, topic", [
    ("你是机器人吗", "chat.who"),
    ("谢谢 再见", "chat.bye"),
    # who we are asked twice: the second clause alone reads like 联系残联, but it is still small talk
    ("请问你是谁，残联里的员工吗", "chat.who"),
    ("你是谁呀，残联上班的吗", "chat.who"),
])
def test_small_talk_alone_keeps_the_small_talk_reply(match, question, topic):
    result = match(question)
    assert answered(result) == topic, result.explain()
    assert result.aside is None


# ---- 2. other offices' papers ------------------------------------------------------------------

@pytest.mark.parametrize("question, referral", [
    ("出生医学证明上孩子名字错了能改吗", "ref.other_papers"),  # the hospital's paper, not 残疾证补办
    ("家里的房产证遗失了 找哪个部门", "ref.other_papers"),
    ("暂住证过期了怎么续", "ref.residence_permit"),  # the old name of the 居住证
])
def test_other_offices_papers_get_their_referral(match, question, referral):
    result = match(question)
    assert answered(result) == referral, result.explain()


# ---- 3. neighbouring topics --------------------------------------------------------------------

@pytest.mark.parametrize("question, topic", [
    ("女儿大专毕业一年了 听力残疾 残联能帮她找份工作吗", "employ.graduates"),  # a graduate, not any job seeker
    ("孩子是精神残疾 平定等级去哪个医院", "assess.level"),  # dictated 平定 is 评定, not the free medicine
    ("我是低保户 家里老屋漏雨墙也开裂了 能帮忙修吗", "housing.repair"),  # 低保 said as who they are
])
def test_neighbouring_topics_are_told_apart(match, question, topic):
    result = match(question)
    assert answered(result) == topic, result.explain()


# ---- 4. lists that did not hold the right topic ------------------------------------------------

@pytest.mark.parametrize("question, topic", [
    ("谢谢 帮了大忙", "chat.thanks"),  # 谢谢 is a filler, dropped before matching
    ("好了我先走了", "chat.bye"),
    ("盲人想学推拿", "employ.training"),
    ("侄女要结婚了 去哪领证", "ref.marriage"),
])
def test_small_talk_and_near_topics_said_in_other_words(match, question, topic):
    result = match(question)
    assert answered(result) == topic, result.explain()


def test_cannot_see_or_hear_is_not_read_as_lost(bundle):
    # "不见了" means lost (证不见了 → 丢了), but "看不见了" is about the eyes: it must stay as said.
    text = bundle.matcher.normalizer.text
    assert "看不见" in text("我妈眼睛就看不见了 能办残疾证吗") and "丢" not in text("耳朵听不见了")
    assert "丢了" in text("残疾证不见了")


@pytest.mark.parametrize("question, topics", [
    ("讲了好几遍都说不明白 真是太差劲了", ("chat.praise_complain",)),  # its keyword said: not "没学会"
    ("好了好了我知道了 拜拜", ("chat.thanks", "chat.bye")),  # two kinds of small talk close: either is fine
    ("你好啊小助手", ("chat.greeting",)),
])
def test_small_talk_in_its_own_words_is_answered(match, question, topics):
    result = match(question)
    assert result.decision == "answer" and result.offered[0].entry_id in topics, result.explain()
