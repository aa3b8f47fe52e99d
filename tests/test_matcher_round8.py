"""Round 8 (issue 11): two questions in one message, other offices' cards typed as homophones, small talk.
Runs with and without the embedding (WXBOT_SEMANTIC=0). Questions written for these tests, not taken
from any eval set (each below 0.85 similarity to every spent set's questions)."""
from __future__ import annotations

import pytest

from bot.answers.matcher import two_asks
from tests.support.matcher import answered
from handlers import policy


# ---- 1. two questions in one message: the first answered, the second kept ----------------------

@pytest.mark.parametrize("question, first, second", [
    ("意外险找谁赔 另外生活补贴在哪里申请", "insurance.accident", "subsidy.living"),  # joined by 另外
    ("残疾证新办要几张照片 还有评残去哪家医院", "cert.apply", "assess.level"),  # joined by 还有
    ("特校报名要什么材料 送教上门谁来教", "edu.special_school", "edu.home_teaching"),  # two asking clauses
])
def test_the_first_question_is_answered_and_the_second_kept(match, question, first, second):
    result = match(question)
    assert answered(result) == first, result.explain()
    assert result.also is not None and result.also.entry_id == second


@pytest.mark.parametrize("question", [
    "我是三级残疾，找工作有没有补贴",  # one question after a comma: the first clause only tells
    "孩子读大学有助学金吗，要准备什么",  # the second clause names no topic of its own
    "借辅具的时候 要不要押金",
])
def test_one_question_with_a_comma_is_not_cut(match, question):
    assert match(question).also is None


def test_a_story_that_mentions_an_amount_is_not_read_as_two_questions():
    # "花了好几万" tells, it does not ask ("几" is not a question word here)
    assert two_asks._cuts("我姐是低保户，看病花了好几万，残联能不能帮一点") == []


def test_the_reply_answers_the_first_and_offers_the_second_as_option_1(bundle):
    reply = policy.respond("意外险找谁赔 另外生活补贴在哪里申请", bundle)
    assert reply.meta["topic"] == "insurance.accident"
    assert reply.text.rstrip().endswith("您还问了：" + bundle.kb.get("subsidy.living").title + "，回复 1 看。")
    assert reply.options == [[bundle.kb.get("subsidy.living").title, "topic:subsidy.living"]]


# ---- 2. another office's card typed as a homophone -------------------------------------------------

@pytest.mark.parametrize("question, card", [("伸份证丢了去哪补办", "身份证"), ("我的驾使证过期了去哪换", "驾驶证")])
def test_a_card_typed_as_a_homophone_is_heard_by_sound(bundle, question, card):
    normalizer = bundle.matcher.normalizer
    assert card in normalizer.objects_in(normalizer.analyse(question).compact)


def test_an_id_card_typed_as_a_homophone_is_not_answered_as_our_certificate(match):
    assert answered(match("伸份证到期了 换个新的去哪")) == "ref.id_card"  # was 残疾证换证


@pytest.mark.parametrize("question", ["低保正常发 我残疾证到期了咋换", "老人正在住院 残疾证到期了咋换",
                                      "我在家照顾瘫痪的老娘 她残疾证到期了咋换"])
def test_a_word_that_only_sounds_like_a_card_makes_no_card(bundle, match, question):
    normalizer = bundle.matcher.normalizer  # 正 is not 证, and 家照(顾) is two characters: no 驾照
    assert normalizer.objects_in(normalizer.analyse(question).compact) == {"残疾证"}
    assert answered(match(question)) == "cert.renew"


# ---- 3. small talk -------------------------------------------------------------------------------

@pytest.mark.parametrize("question, entry", [
    ("早安啊", "chat.greeting"), ("晚上好 打扰了", "chat.greeting"), ("侬是啥人来的", "chat.who"),
    ("今天就先这样 改天再问你", "chat.bye"), ("真是辛苦你们了", "chat.thanks"),  # thanks, not praise
])
def test_small_talk_is_understood(match, question, entry):
    assert answered(match(question)) == entry


# ---- 4. a 护理补贴 payment question is not answered by the living subsidy ------------------------

def test_care_subsidy_not_paid_is_answered_by_the_care_subsidy(match):
    result = match("护理补贴好几个月没打过来了")  # was 生活补贴 (没打过来 was its word only)
    assert answered(result) == "subsidy.care", result.explain()


@pytest.mark.parametrize("question", ["知道了 太感谢了 省得跑冤枉路", "太感谢了 明白了 我让儿子去弄"])
def test_thanks_with_a_few_words_beside_it_is_still_thanks(match, question):
    # its keywords said, the words beside them match nothing: they only diluted it below answering
    assert answered(match(question)) == "chat.thanks"


def test_a_thank_you_beside_a_policy_question_still_gets_the_policy_answer(match):
    assert answered(match("谢谢你 残疾证到期了去哪换")) == "cert.renew"
