"""WeChat re-delivers unanswered messages: side effects happen once, the reply is the same."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from bot.engine import inbox as engine
from bot.models import MessageLog, OutboxMessage
from bot.devtools.simulate import build_xml, read_reply, signed_request


def _post_concurrently(base_url, settings, xml, times=3, encrypt=False):
    barrier = threading.Barrier(times)

    def deliver(_):
        query, body = signed_request(settings, xml, encrypt=encrypt)
        barrier.wait()
        return requests.post(f"{base_url}/wechat?{query}", data=body, timeout=15)
    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(deliver, range(times)))


def test_three_concurrent_deliveries_of_one_message_have_one_side_effect(live_server, settings, services):
    xml = build_xml("o_retry", "text", Content="转人工", msg_id="9000001")
    responses = _post_concurrently(live_server, settings, xml, encrypt=True)
    assert [r.status_code for r in responses] == [200, 200, 200]
    kinds = {read_reply(settings, r.content, encrypted=True)["type"] for r in responses}
    assert kinds == {"transfer_customer_service"}
    with services.sessions() as s:
        assert s.query(OutboxMessage).filter_by(openid="o_retry").count() == 1
        assert s.query(MessageLog).filter_by(openid="o_retry").count() == 1


def test_same_msgid_from_two_residents_is_not_a_duplicate(chat, services):
    chat.send("text", openid="o_one", Content="0", msg_id="42")
    chat.send("text", openid="o_two", Content="0", msg_id="42")
    with services.sessions() as s:
        assert {r.openid for r in s.scalars(select(OutboxMessage))} == {"o_one", "o_two"}


def test_a_late_retry_gets_the_first_reply_not_a_new_one(chat, services):
    first = chat.send("text", openid="o_late", Content="菜单", msg_id="555")
    chat.send("text", openid="o_late", Content="6", msg_id="556")  # state moves on
    again = chat.send("text", openid="o_late", Content="菜单", msg_id="555")
    assert again.text == first.text
    with services.sessions() as s:
        assert s.query(MessageLog).filter_by(openid="o_late").count() == 2


def test_retry_while_the_first_is_still_running_is_acknowledged(services, monkeypatch):
    # The first delivery has claimed the message and is still working on it (held here, after its
    # claim committed and before its transaction, so this runs the same on SQLite and PostgreSQL).
    claimed, release = threading.Event(), threading.Event()
    real_run = engine._run

    def held_run(*args):
        claimed.set()
        assert release.wait(30)
        return real_run(*args)
    monkeypatch.setattr(engine, "_run", held_run)
    monkeypatch.setattr(engine, "RETRY_WAIT_SECONDS", 0.3)
    from bot.wechat.inbound import Inbound
    xml = build_xml("o_slow", "text", Content="菜单", msg_id="777")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(engine.process, services, Inbound.from_xml(xml))
        assert claimed.wait(30)
        retry = engine.process(services, Inbound.from_xml(xml))  # WeChat's re-delivery
        release.set()
        assert retry.silent  # "success": WeChat waits for the first delivery's answer
        assert "1. 政策咨询" in first.result(timeout=30).text
    with services.sessions() as s:
        assert s.query(MessageLog).filter_by(openid="o_slow").count() == 1
