"""Residents subscribe to new postings by chat, list and cancel their subscriptions."""
from __future__ import annotations

from sqlalchemy import select

from bot.jobs.models import JobSubscription


def subs(services, openid="o_resident"):
    with services.sessions() as s:
        return [(x.town, x.keywords) for x in s.scalars(select(JobSubscription).where(
            JobSubscription.openid == openid).order_by(JobSubscription.id))]


def test_subscribe_by_town_and_keyword_then_list_and_cancel(chat, services):
    reply = chat("订阅岗位 鳌江 包装")
    assert "已订阅：鳌江镇、包装" in reply.text and "每天最多" in reply.text
    assert subs(services) == [("鳌江镇", "包装")]
    chat("订阅岗位 适合听力残疾")
    mine = chat("我的订阅")
    assert "1. 鳌江镇、包装" in mine.text and "2. 适合听力残疾" in mine.text
    assert "已退订 1 条" in chat("退订 1").text
    assert subs(services) == [(None, "适合听力残疾")]
    assert "以后不会再收到" in chat("取消订阅").text
    assert subs(services) == []


def test_same_subscription_twice_is_kept_once(chat, services):
    chat("订阅岗位 鳌江 包装")
    assert "之前已经订阅过" in chat("订阅岗位 敖江 包装").text
    assert len(subs(services)) == 1


def test_menu_key_explains_how_and_can_subscribe_to_everything(chat, services):
    reply = chat.click("JOB_SUBSCRIBE")
    assert "订阅岗位 鳌江 包装" in reply.text and reply.options[0][1] == "jobs_subadd:全部"
    assert "全部岗位" in chat("1").text
    assert subs(services) == [(None, "")]


def test_at_most_five_subscriptions(chat, services):
    for word in ("包装", "客服", "保安", "保洁", "厨师"):
        chat(f"订阅岗位 {word}")
    reply = chat("订阅岗位 司机")
    assert "最多" in reply.text and "回复 0 转人工" in reply.text
    assert len(subs(services)) == 5


def test_unsubscribe_without_subscriptions_is_no_dead_end(chat):
    reply = chat("退订")
    assert "没有订阅岗位" in reply.text and "回复 0 转人工" in reply.text
    assert "还没有订阅" in chat("我的订阅").text
