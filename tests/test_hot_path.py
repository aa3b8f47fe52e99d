"""The lean message path keeps its promises: a dropped database connection costs no message, the
resident's customer-service window is kept without a write per message, and a reply is stored once."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select, text, update

from bot.models import ConversationState, Follower, InboundSeen, MessageLog


def test_a_connection_the_database_dropped_costs_no_message(wechat_http, settings):
    # No pre-ping on checkout: the pooled connection is found dead by the message itself, retried once.
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop connections")
    assert "政策咨询" in wechat_http.text("菜单", openid="o_drop")["text"]  # the pool holds a connection
    admin = create_engine(settings.database_url)
    with admin.connect() as conn:
        killed = conn.execute(text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                   "where datname = current_database() and pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert killed >= 1
    reply = wechat_http.text("菜单", openid="o_drop")
    assert "政策咨询" in reply["text"] and "抱歉" not in reply["text"]


def test_the_window_is_kept_without_a_write_on_every_message(chat, services):
    chat("菜单", openid="o_window")
    with services.sessions() as s:
        first = s.get(Follower, "o_window").last_message_at
    chat("你好", openid="o_window")
    with services.sessions() as s:
        assert s.get(Follower, "o_window").last_message_at == first  # seconds later: not rewritten
    with services.sessions.begin() as s:  # a resident who last wrote two hours ago
        s.execute(update(Follower).where(Follower.openid == "o_window").values(
            last_message_at=first - dt.timedelta(hours=2)))
    chat("你好", openid="o_window")
    with services.sessions() as s:
        assert s.get(Follower, "o_window").last_message_at > first - dt.timedelta(minutes=1)


def test_the_explanation_is_kept_in_the_log_not_twice(chat, services):
    chat("两项补贴怎么申请", openid="o_once")
    with services.sessions() as s:
        log = s.scalars(select(MessageLog).where(MessageLog.openid == "o_once")).one()
        seen = s.scalars(select(InboundSeen).where(InboundSeen.openid == "o_once")).one()
    assert log.detail and log.detail.get("q")  # staff see why the question got its answer
    assert seen.reply["text"] and "explain" not in seen.reply["meta"]


def test_the_residents_rows_keep_what_handlers_change_through_the_session(chat, services):
    # The follower and conversation rows are read and written beside the ORM (bot.engine.resident_rows);
    # a handler that looks them up through the session (forgetting a resident does) must get the same
    # objects, or its changes would be lost or overwritten.
    chat("注册", openid="o_rows")
    with services.sessions() as s:
        assert s.get(ConversationState, "o_rows").flow  # the flow started is remembered
    chat("取消", openid="o_rows")
    with services.sessions.begin() as s:
        assert s.get(ConversationState, "o_rows").flow is None
        s.execute(update(Follower).where(Follower.openid == "o_rows").values(town="鳌江镇"))
    assert "已删除" in chat("删除我的信息", openid="o_rows").text  # not registered: done at once
    with services.sessions() as s:
        assert s.get(Follower, "o_rows").town is None  # forgotten, not written back by the message path
        state = s.get(ConversationState, "o_rows")
        assert state.flow is None and state.data == {}
