"""No message silently lost: a dead worker's claim is taken over, a database outage makes WeChat
retry (never `success`), and residents whose message failed hear from us once the database is back."""
from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from bot.db import utcnow
from bot.outbox.dispatcher import dispatch_due
from bot.engine.followup import FollowUps, sweep_stuck
from bot.models import InboundSeen, MessageLog, OutboxMessage
from bot.privacy.retention import purge_inbound
from bot.engine.services import Services
from bot.devtools.simulate import build_xml, read_reply, signed_request


def _post(client, settings, xml):
    query, body = signed_request(settings, xml)
    return client.post(f"/wechat?{query}", data=body, content_type="text/xml")


def _claimed_by_a_dead_worker(services, key, openid, seconds_ago):
    with services.sessions.begin() as s:
        s.add(InboundSeen(dedup_key=key, openid=openid, claim_token="dead",
                          claimed_until=utcnow() - dt.timedelta(seconds=seconds_ago)))


def test_a_retry_after_the_lease_expired_takes_the_message_over(wechat_http, settings, services):
    # The first delivery's worker was killed after claiming the message (its lease ran out 1 s ago).
    _claimed_by_a_dead_worker(services, "m:o_orphan:990001", "o_orphan", 1)
    reply = wechat_http.send("text", openid="o_orphan", Content="菜单", msg_id="990001")
    assert "1. 政策咨询" in reply["text"]
    with services.sessions() as s:
        assert s.get(InboundSeen, "m:o_orphan:990001").status == "done"
        assert s.query(MessageLog).filter_by(openid="o_orphan").count() == 1
    again = wechat_http.send("text", openid="o_orphan", Content="菜单", msg_id="990001")
    assert again["text"] == reply["text"]


@contextmanager
def _database_locked(database_url):
    """Another process holds the database: SQLite's write lock, or PostgreSQL table locks."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE inbound_seen, callback_nonce IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def test_a_database_outage_is_not_acknowledged_and_the_resident_hears_back(dsettings, wx_fake):
    from webhook import create_app
    settings = dsettings.with_(wechat_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", token_owner=False)
    app = create_app(settings)
    with _database_locked(settings.database_url):
        resp = _post(app.test_client(), settings, build_xml("o_outage", "text", Content="转人工", msg_id="77"))
    assert resp.status_code == 503 and resp.data != b"success"
    followups: FollowUps = app.extensions["wxbot.followups"]
    assert followups.flush() == 0  # WeChat may still re-deliver it: wait out the retry window
    assert followups.flush(now=utcnow() + dt.timedelta(seconds=30)) == 1
    dispatch_due(dsettings, Services(dsettings).sessions, concurrency=1)
    [sent] = wx_fake.sent("o_outage", "custom")
    assert "没能处理" in sent["content"] and "请再发一次" in sent["content"] and "转人工" in sent["content"]
    # A late re-delivery is answered with the apology, not processed a second time.
    late = read_reply(settings, _post(app.test_client(), settings,
                                      build_xml("o_outage", "text", Content="转人工", msg_id="77")).data)
    assert "抱歉" in late["text"]


def test_a_message_answered_by_a_retry_gets_no_follow_up(dsettings):
    from webhook import create_app
    settings = dsettings.with_(token_owner=False)
    app = create_app(settings)
    xml = build_xml("o_saved", "text", Content="菜单", msg_id="78")
    with _database_locked(settings.database_url):
        assert _post(app.test_client(), settings, xml).status_code == 503
    assert "政策咨询" in read_reply(settings, _post(app.test_client(), settings, xml).data)["text"]
    assert app.extensions["wxbot.followups"].flush(now=utcnow() + dt.timedelta(seconds=30)) == 0
    with Services(settings).sessions() as s:
        assert s.scalar(select(OutboxMessage).where(OutboxMessage.source == "followup")) is None


def test_a_claim_no_retry_took_over_is_followed_up_once_by_the_scheduler(services):
    _claimed_by_a_dead_worker(services, "m:o_dead:4", "o_dead", 60)
    _claimed_by_a_dead_worker(services, "m:o_busy:5", "o_busy", -3)  # still leased: a worker is on it
    assert sweep_stuck(services) == 1 and sweep_stuck(services) == 0
    with services.sessions() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.source == "followup")).all()
        assert [r.openid for r in rows] == ["o_dead"]
        assert s.get(InboundSeen, "m:o_dead:4").status == "lost"


def test_never_500_answers_database_errors_without_crashing(app, settings):
    def broken():
        raise OperationalError("select 1", {}, Exception("server closed the connection"))
    app.add_url_rule("/broken", "broken", broken)
    resp = app.test_client().get("/broken")
    assert resp.status_code == 503 and "服务暂时不可用" in resp.get_data(as_text=True)


def test_stored_replies_are_dropped_after_the_retry_window(wechat_http, services):
    wechat_http.text("我的电话 13867712345", openid="o_pii")
    with services.sessions.begin() as s:
        seen = s.scalar(select(InboundSeen).where(InboundSeen.openid == "o_pii"))
        assert seen.reply is not None
        seen.created_at = utcnow() - dt.timedelta(hours=2)
    counts = purge_inbound(services.sessions)
    assert counts["replies"] == 1
    with services.sessions() as s:
        seen = s.scalar(select(InboundSeen).where(InboundSeen.openid == "o_pii"))
        assert seen is not None and seen.reply is None  # the dedup key stays for a day
        raw = s.execute(text("select count(*) from inbound_seen where reply is not null")).scalar()
        assert raw == 0


def test_never_500_keeps_http_errors(app):
    assert app.test_client().get("/no-such-page").status_code == 404
    assert isinstance(app, Flask)
