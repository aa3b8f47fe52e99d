"""A short follow-on question is read with the topic just answered ("要带什么材料" after 儿童康复), through
the whole engine: the previous answer comes from the real message log."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from bot.db import utcnow
from bot.models import MessageLog

CHILD_REHAB = "孩子三岁了医院说是孤独症 残联的康复补助怎么申请"


def test_what_to_bring_after_an_answer_is_about_that_topic(chat, services):
    assert chat(CHILD_REHAB).meta["topic"] == "rehab.children"
    reply = chat("要带什么材料")
    assert reply.meta["kind"] == "answer" and reply.meta["topic"] == "rehab.children"
    assert "诊断证明" in reply.text
    assert reply.meta["explain"]["follow_on"] == "rehab.children"  # staff can see why
    # What was asked, not the whole answer again (a screen reader reads every line) …
    assert reply.text.startswith("关于“残疾儿童康复救助”") and "定点康复机构" not in reply.text
    assert "回复 1 看完整说明" in reply.text and "转人工" in reply.text
    assert "\n2. " not in reply.text  # the answer's own numbering would read as a second choice
    whole = chat("1")  # … and the whole answer one number away
    assert whole.meta["topic"] == "rehab.children" and "定点康复机构" in whole.text


def test_the_same_words_without_a_previous_answer_are_not_guessed_at(chat):
    assert chat("要带什么材料").meta["kind"] != "answer"


def test_a_previous_answer_half_an_hour_old_is_not_the_context(chat, services):
    chat(CHILD_REHAB)
    with services.sessions.begin() as s:
        s.execute(update(MessageLog).values(created_at=utcnow() - dt.timedelta(minutes=31)))
    assert chat("要带什么材料").meta["kind"] != "answer"


@pytest.mark.parametrize("first, follow, topic", [
    ("困难残疾人生活补贴是什么", "在哪里申请", "subsidy.living"),  # alone it is guessed as another office's
    ("重度残疾人护理补贴", "我家是二级能领吗", "subsidy.care"),
    ("上门评残怎么弄", "收费吗", "assess.home"),
])
def test_follow_ons_in_residents_words(chat, first, follow, topic):
    assert chat(first).meta["topic"] == topic
    assert chat(follow).meta.get("topic") == topic


def test_a_follow_on_that_names_its_own_topic_keeps_it(chat):
    chat("困难残疾人生活补贴是什么")
    assert chat("那护理补贴呢").meta.get("topic") == "subsidy.care"


@pytest.mark.parametrize("first, follow, topic", [("残疾证怎么办", "那换证呢", "cert.renew"),
                                                ("评残是怎么评的", "那上门呢", "assess.home")])
def test_a_neighbour_named_by_its_keyword_is_answered_not_the_last_topic(chat, first, follow, topic):
    chat(first)
    assert chat(follow).meta.get("topic") == topic


def test_something_else_altogether_is_not_answered_with_the_last_topic(chat):
    chat("轮椅怎么申请")
    reply = chat("我的电动车被偷了在哪报警")
    assert reply.meta.get("topic") != "aids.fitting" and reply.meta.get("entry") != "aids.fitting"


def test_the_second_match_is_made_before_the_transaction(chat, services):
    """dispatch.prefetch runs it outside SQLite's write lock; inside, the handler finds it cached."""
    from bot.answers import follow_on, knowledge
    from bot.engine import dispatch
    from bot.wechat.inbound import Inbound

    chat(CHILD_REHAB)
    matcher = knowledge.bundle(services).matcher
    title = knowledge.bundle(services).kb.get("rehab.children").title
    dispatch.prefetch(services, Inbound(openid="o_resident", to_user="gh", msg_type="text", content="要带什么材料"))
    assert follow_on.with_topic("要带什么材料", title) in matcher._cache
