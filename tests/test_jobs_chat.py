"""Residents find jobs by chat: newest five, "更多", details with the phone, typo-tolerant search."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.db import LOCAL_TZ
from bot.jobs.models import JobPosting, JobView
from bot.jobs.postings import save_posting, view_stats, withdraw_posting

BASE = {"employer": "平阳县某包装有限公司", "town": "鳌江", "contact_phone": "0577-63661234",
        "categories": "听力、言语", "kind": "全职", "salary": "3000-4000元/月"}


def add_job(services, external_id: str, title: str, **fields) -> int:
    with services.sessions.begin() as s:
        saved = save_posting(s, {**BASE, "external_id": external_id, "title": title, **fields}, actor="test",
                             knowledge_dir=services.settings.knowledge_dir)
        return saved.posting.id


@pytest.fixture
def seven(services):
    return [add_job(services, f"P{i}", f"纸箱包装工{i}号") for i in range(7)]


@pytest.fixture
def mixed(services):
    return {
        "pack_aj": add_job(services, "A1", "包装工", description="纸箱包装，坐着干活"),
        "pack_ky": add_job(services, "A2", "包装工", town="昆阳镇", employer="昆阳纸品厂"),
        "kefu": add_job(services, "A3", "电商客服", employer="平阳网店", town="萧江", kind="居家就业",
                        categories="肢体", description="在家用电脑回复顾客"),
        "massage": add_job(services, "A4", "按摩师", employer="盲人按摩中心", town="昆阳", categories="视力"),
    }


def test_menu_shows_newest_five_numbered_with_next_page(chat, seven):
    reply = chat.click("JOBS")
    assert [a for _l, a in reply.options[:5]] == [f"job:{i}" for i in reversed(seven[2:])]
    assert reply.options[5][1].startswith("jobs_more:5")
    assert "1. 纸箱包装工6号" in reply.text and "6. 下一页" in reply.text and "共 7 个" in reply.text


def test_picking_jobs_from_the_main_menu_lists_them(chat, seven):
    chat("菜单")
    reply = chat("2")
    assert "纸箱包装工6号" in reply.text and reply.options[0][1] == f"job:{seven[-1]}"


def test_more_pages_on_and_says_when_the_list_ends(chat, seven):
    chat("找工作")
    page2 = chat("更多")
    assert "纸箱包装工1号" in page2.text and "纸箱包装工0号" in page2.text and "纸箱包装工6号" not in page2.text
    assert "全部" in chat("更多").text


def test_a_number_shows_details_with_phone_and_counts_a_view(chat, services, seven):
    chat("招聘")
    reply = chat("2")
    assert "纸箱包装工5号" in reply.text and "0577-63661234" in reply.text and "听力、言语残疾" in reply.text
    with services.sessions() as s:
        assert s.scalar(select(func.count(JobView.id))) == 1
        stats = {r["id"]: r for r in view_stats(s)}
    assert stats[seven[5]]["views"] == 1 and stats[seven[5]]["viewers"] == 1


@pytest.mark.parametrize("said, expected, absent", [
    ("找工作 电商克服", ["电商客服"], ["包装工", "按摩师"]),  # 客服 typed as 克服
    ("找工作 鳌江 包装", ["包装工，鳌江镇"], ["昆阳镇", "电商客服"]),
    ("找工作 敖江包装", ["包装工，鳌江镇"], ["昆阳镇"]),  # the town as a homophone, no space
    ("搜工作 适合视力残疾的", ["按摩师"], ["包装工", "电商客服"]),
    ("找工作 居家", ["电商客服"], ["包装工"]),
    ("有没有适合盲人的工作", ["按摩师"], ["包装工"]),
])
def test_free_text_search(chat, mixed, said, expected, absent):
    text = chat(said).text
    assert all(e in text for e in expected), text
    assert not any(a in text for a in absent), text


def test_a_dictated_sentence_without_spaces_searches_too(chat, mixed):
    reply = chat.voice("我想找鳌江的包装工作")
    assert "包装工，鳌江镇" in reply.text and "昆阳镇" not in reply.text


def test_right_after_a_list_a_short_word_narrows_it(chat, mixed):
    chat("找工作")
    reply = chat("居家")
    assert "电商客服" in reply.text and "包装工" not in reply.text


def test_policy_questions_are_not_taken_for_job_searches(chat, mixed):
    chat("找工作")
    for question in ("残疾人就业有什么补贴", "招聘会什么时候开"):
        assert "jobs" not in chat(question).meta["route"]


def test_nothing_found_offers_all_jobs_subscription_and_a_human(chat, mixed):
    reply = chat("找工作 厨师")
    assert "没有找到" in reply.text and "回复 0 转人工" in reply.text
    assert [a.split(":")[0] for _l, a in reply.options] == ["jobs_more", "jobs_subadd"]
    assert "按摩师" in chat("1").text  # 看全部岗位


def test_expired_and_withdrawn_postings_are_never_shown(chat, services, mixed):
    chat("找工作")
    today = dt.datetime.now(LOCAL_TZ).date()
    with services.sessions.begin() as s:
        withdraw_posting(s, "A3", actor="test")
        s.get(JobPosting, mixed["massage"]).valid_until = today - dt.timedelta(days=1)
    listing = chat("找工作").text
    assert "电商客服" not in listing and "按摩师" not in listing and "包装工" in listing
    gone = chat(f"岗位{mixed['kefu']}")
    assert "结束招聘" in gone.text and "回复 0 转人工" in gone.text
    search = chat("找工作 按摩").text
    assert "没有找到" in search and "按摩师" not in search


def test_a_number_from_an_old_list_after_withdrawal_does_not_show_it(chat, services, mixed):
    chat("找工作 电商客服")
    with services.sessions.begin() as s:
        withdraw_posting(s, "A3", actor="test")
    reply = chat("1")
    assert "结束招聘" in reply.text and "平阳网店" not in reply.text


# ---- jobs and policy questions compete on their scores, not on handler order ----------------------

@pytest.mark.parametrize("said", ["居家的工作", "电商克服", "有电商客服的活吗"])
def test_words_naming_an_open_posting_find_it_without_a_job_command(chat, mixed, said):
    reply = chat(said)
    assert "电商客服" in reply.text and "包装工" not in reply.text, reply.text
    assert "jobs" in reply.meta["route"]


@pytest.mark.parametrize("said, topic", [("电商培训哪里报名", "employ.training"),
                                         ("残疾人找工作有人帮吗", "employ.support"),
                                         ("想学按摩 哪里有培训班", "employ.training")])
def test_policy_questions_with_job_words_still_get_the_policy_answer(chat, mixed, said, topic):
    reply = chat(said)
    assert reply.meta.get("topic") == topic, reply.text
    assert "按摩师" not in reply.text and "电商客服" not in reply.text


def test_without_a_fitting_posting_the_policy_answer_stays(chat):
    reply = chat("电商克服")  # no posting at all: the policy matcher's reading (电商 → 培训) is all there is
    assert "jobs" not in reply.meta["route"]


@pytest.mark.parametrize("said", ["要钱吗", "在哪里"])
def test_a_question_about_the_last_answer_is_not_a_posting_name(chat, mixed, said):
    assert chat("残疾证怎么办").meta["topic"] == "cert.apply"
    reply = chat(said)
    assert "jobs" not in reply.meta["route"] and "岗位" not in reply.text, reply.text
