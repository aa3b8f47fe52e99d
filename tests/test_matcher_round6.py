"""Round 6 (issue 11): small talk said beside a question, other offices' papers, neighbouring topics.
Runs with and without the embedding (WXBOT_SEMANTIC=0). Questions written for these tests, not
taken from any eval set."""
from __future__ import annotations

import pytest

from bot.answers.knowledge import Bundle
from bot.config import ROOT
from handlers import policy


@pytest.fixture(scope="module")
def bundle():
    return Bundle.load(ROOT / "knowledge")


@pytest.fixture(scope="module")
def match(bundle):
    return bundle.matcher.match


def answered(result) -> str | None:
    return result.offered[0].entry_id if result.decision == "answer" else None


# ---- 1. small talk beside a question ----------------------------------------------------------

def test_a_question_after_small_talk_gets_the_answer_and_one_line_for_the_small_talk(bundle, match):
    result = match("你是机器人吗 我问护理补贴")
    assert answered(result) == "subsidy.care", result.explain()
    assert result.aside is not None and result.aside.entry_id == "chat.who"
    reply = policy.respond("你是机器人吗 我问护理补贴", bundle)
    first, second = reply.text.splitlines()[:2]
    assert "机器人" in first and "护理补贴" in second  # who we are in one line, then the answer
    assert reply.meta["topic"] == "subsidy.care" and reply.meta["explain"]["aside"] == "chat.who"


@pytest.mark.parametrize("question, topic", [
    ("你是机器人吗", "chat.who"),
    ("谢谢 再见", "chat.bye"),
    # who we are asked twice: the second clause alone reads like 联系残联, but it is still small talk
    ("你是谁 残联的工作人员吗", "chat.who"),
    ("你是谁呀，残联上班的吗", "chat.who"),
])
def test_small_talk_alone_keeps_the_small_talk_reply(match, question, topic):
    result = match(question)
    assert answered(result) == topic, result.explain()
    assert result.aside is None

