"""A dispatcher process killed (SIGKILL) at each step of sending, then restarted: every recipient gets
the message exactly once — or, where WeChat offers no dedup (customer-service messages), the one
interrupted message is flagged for staff instead of being guessed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import select

from bot.config import ROOT
from bot.outbox.notify import notify, resolve_unknown
from bot.outbox.dispatcher import dispatch_due
from bot.models import OutboxMessage
from bot.outbox.enqueue import enqueue_mass_text, enqueue_text
from tests.support.delivery import Clock, add_follower

RECIPIENTS = [f"o_crash_{i}" for i in range(12)]
CRASH_SCRIPT = """
import json, os, signal, sys
from bot.config import Settings
from bot.db import session_factory
from bot.outbox import dispatcher
cfg = json.loads(sys.argv[1])
settings = Settings(**cfg["settings"])
seen = {"n": 0}
def crash_at(point, row_id):
    if point == cfg["point"]:
        seen["n"] += 1
        if seen["n"] == cfg["nth"]:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: like a power cut
dispatcher.CHECKPOINT = crash_at
dispatcher.Dispatcher(settings, session_factory(settings.database_url), concurrency=cfg["concurrency"],
                      lease_seconds=60).run()
print("finished without crashing")
"""


def crash_dispatcher(dsettings, point: str, nth: int, concurrency: int = 1) -> int:
    fields = {k: getattr(dsettings, k) for k in ("database_url", "wechat_api_base", "token_owner",
                                                 "api_timeout_seconds", "knowledge_dir")}
    cfg = {"settings": fields, "point": point, "nth": nth, "concurrency": concurrency}
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, json.dumps(cfg)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "finished without crashing" not in proc.stdout, proc.stderr
    return proc.returncode


def statuses(dsessions) -> Counter:
    with dsessions() as session:
        return Counter(session.scalars(select(OutboxMessage.status)))


def settle_unknown_like_staff(dsessions, wx_fake) -> int:
    """Staff look at each 'unknown' row and decide from what the resident saw (here: the fake's record)."""
    resolved = 0
    with dsessions.begin() as session:
        for r in session.scalars(select(OutboxMessage).where(OutboxMessage.status == "unknown")).all():
            arrived = bool(wx_fake.sent(r.openid))
            assert resolve_unknown(session, r.id, "sent" if arrived else "resend", by="test")
            resolved += 1
    return resolved


@pytest.mark.parametrize("channel", ["template", "custom"])
@pytest.mark.parametrize("point", ["claimed", "before_send", "after_send"])
def test_killed_dispatcher_restarts_without_duplicates_or_losses(dsettings, dsessions, wx_fake, point,
                                                                  channel):
    for openid in RECIPIENTS:  # all wrote recently: the 48-hour window is open
        add_follower(dsessions, openid)
        with dsessions.begin() as session:
            if channel == "template":
                notify(session, openid, "booking_confirm", {"item": "上门评残"}, f"k:{openid}", "预约成功")
            else:
                enqueue_text(session, openid, "您好", f"k:{openid}")

    assert crash_dispatcher(dsettings, point, nth=5) == -9
    assert len(wx_fake.sent()) <= 5
    dclock = Clock()
    dclock.advance(minutes=2)  # the dead process's leases have expired
    dispatch_due(dsettings, dsessions, clock=dclock)
    dispatch_due(dsettings, dsessions, clock=dclock)  # a repeated tick changes nothing
    after_restart = statuses(dsessions)
    if channel == "custom" and point != "claimed":
        assert after_restart == Counter(sent=len(RECIPIENTS) - 1, unknown=1)
    else:
        assert after_restart == Counter(sent=len(RECIPIENTS))
    assert all(n == 1 for n in Counter(r["touser"] for r in wx_fake.sent()).values())

    settle_unknown_like_staff(dsessions, wx_fake)
    dispatch_due(dsettings, dsessions, clock=dclock)
    assert statuses(dsessions) == Counter(sent=len(RECIPIENTS))
    assert sorted(r["touser"] for r in wx_fake.sent()) == sorted(RECIPIENTS)  # each exactly once


def test_killed_with_parallel_senders_still_delivers_each_template_once(dsettings, dsessions, wx_fake):
    for openid in RECIPIENTS:
        add_follower(dsessions, openid)
        with dsessions.begin() as session:
            notify(session, openid, "booking_confirm", {"item": "x"}, f"p:{openid}", "t")
    assert crash_dispatcher(dsettings, "after_send", nth=7, concurrency=4) == -9
    dclock = Clock()
    dclock.advance(minutes=2)
    dispatch_due(dsettings, dsessions, clock=dclock)
    assert statuses(dsessions) == Counter(sent=len(RECIPIENTS))
    assert sorted(r["touser"] for r in wx_fake.sent()) == sorted(RECIPIENTS)


def test_killed_after_a_mass_send_is_not_broadcast_twice(dsettings, dsessions, wx_fake):
    with dsessions.begin() as session:
        enqueue_mass_text(session, "助残日活动通知", "broadcast:1:mass", to_all=True, source="broadcast:1")
    assert crash_dispatcher(dsettings, "after_send", nth=1) == -9
    assert len(wx_fake.sent(kind="mass")) == 1  # WeChat has it; our row still says 'sending'
    dclock = Clock()
    dclock.advance(minutes=2)
    dispatch_due(dsettings, dsessions, clock=dclock)
    with dsessions() as session:
        r = session.scalar(select(OutboxMessage))
        assert r.status == "sent" and "45065" in r.last_error
    assert len(wx_fake.sent(kind="mass")) == 1
