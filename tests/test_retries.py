"""WeChat re-delivers unanswered messages: side effects happen once, the reply is the same."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import requests
from sqlalchemy import select

from bot import engine
from bot.models import MessageLog, OutboxMessage
from bot.simulate import build_xml, read_reply, signed_request


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


def test_retry_while_the_first_is_still_running_is_acknowledged(services, monkeypatch, settings):
    from handlers import menu
    release = threading.Event()

    def slow_menu(ctx):
        release.wait(5)
        return menu.main_menu(ctx)
    router = services.router
    router.routes = [(r, slow_menu if fn is menu.show_menu else fn) for r, fn in router.routes]
    monkeypatch.setattr(engine, "RETRY_WAIT_SECONDS", 0.3)
    from bot.inbound import Inbound
    msg = Inbound.from_xml(build_xml("o_slow", "text", Content="菜单", msg_id="777"))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(engine.process, services, msg)
        time.sleep(0.2)
        pending = pool.submit(engine.process, services, msg)
        wait([pending], timeout=1.0)
        release.set()
        retry = pending.result()
        # PostgreSQL: "success" while the first runs. SQLite (one writer): the retry waits for the
        # first transaction and then gets its reply. Either way nothing is done twice.
        assert retry.silent or retry.text == first.result().text
        assert "1. 政策咨询" in first.result().text
    with services.sessions() as s:
        assert s.query(MessageLog).filter_by(openid="o_slow").count() == 1
