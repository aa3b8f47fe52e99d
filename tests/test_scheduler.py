"""The scheduler: one instance only, idempotent ticks, the tick registry, token ownership, retention."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduler import runner as sched
from bot.config import ROOT
from bot.db import utcnow
from bot.engine.features import Feature, Tick, installed
from bot.models import AccessToken, InboundSeen, MessageLog
from bot.outbox.enqueue import enqueue_text
from bot.scheduler.lock import SchedulerLock
from bot.wechat.client import WeChatAPI
from bot.wechat.errors import TokenRejected, TransientError
from tests.support.delivery import Clock, add_follower

SCHEDULER_CMD = "from bot.cli.delivery import scheduler; scheduler()"


def scheduler_env(dsettings) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": dsettings.database_url,
            "WECHAT_API_BASE": dsettings.wechat_api_base, "KNOWLEDGE_DIR": dsettings.knowledge_dir}


def wait_until(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def lock_is_held(dsettings) -> bool:
    lock = SchedulerLock(dsettings)
    if lock.acquire():
        lock.release()
        return False
    return True


def test_second_scheduler_refuses_to_start(dsettings, dsessions, wx_fake):
    add_follower(dsessions, "o_s")
    with dsessions.begin() as s:
        enqueue_text(s, "o_s", "来自调度进程", "sched:1")
    first = subprocess.Popen([sys.executable, "-c", SCHEDULER_CMD], cwd=ROOT, env=scheduler_env(dsettings),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Its first delivery proves it runs and holds the lock; probing the lock before that would race
        # the starting process for it (and a loaded machine may take seconds to import).
        wait_until(lambda: len(wx_fake.sent("o_s")) == 1, timeout=60)
        assert lock_is_held(dsettings)
        second = subprocess.run([sys.executable, "-c", SCHEDULER_CMD, "--once"], cwd=ROOT, timeout=60,
                                env=scheduler_env(dsettings), capture_output=True, text=True)
        assert second.returncode == 2
        assert "another scheduler is already running" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    assert not lock_is_held(dsettings)  # released on exit: the next one may start
    assert len(wx_fake.sent("o_s")) == 1


def test_embedded_scheduler_also_holds_the_lock(dsettings):
    embedded = sched.start_embedded(dsettings)
    try:
        assert embedded is not None
        assert sched.run(dsettings, once=True) == 2
        assert sched.start_embedded(dsettings) is None
    finally:
        sched.stop_embedded(embedded)
    assert not lock_is_held(dsettings)


def test_ticks_run_twice_send_nothing_twice(dsettings, dsessions, wx_fake):
    from bot.notices import service as notices
    for i in range(5):
        add_follower(dsessions, f"o_{i}")
    with dsessions.begin() as s:
        for i in range(5):
            enqueue_text(s, f"o_{i}", "hi", f"twice:{i}")
        notices.create(s, title="测试通知", body="内容")
    rt = sched.Runtime(dsettings, clock=Clock().set_local(10))  # 10:00: not in quiet hours
    try:
        assert sched.run_once(rt)
        assert sched.run_once(rt)
    finally:
        rt.close()
    assert len(wx_fake.sent(kind="custom")) == 5 and len(wx_fake.sent(kind="mass")) == 1


def test_declared_ticks_get_fixed_ids_and_safe_job_options(dsettings):
    calls = []
    probe = Feature("probe", ticks=(Tick("test.probe", lambda rt: calls.append(rt.settings.token_owner), 120),))
    rt = sched.Runtime(dsettings.with_(token_owner=False), features=installed().with_(probe))
    try:
        scheduler = BackgroundScheduler()
        sched._add_jobs(scheduler, rt)
        sched._add_jobs(scheduler, rt)  # re-adding replaces, never duplicates
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert {"outbox.dispatch", "notices.due", "token.refresh", "logs.purge", "test.probe"} <= set(jobs)
        assert set(jobs) == set(rt.ticks) and "booking.reminders" in jobs and "jobs.digest" in jobs
        for job in jobs.values():
            assert job.coalesce and job.max_instances == 1 and job.misfire_grace_time >= 60
        sched.run_once(rt)
        assert calls == [True]  # ticks always run as the token owner
    finally:
        rt.close()


def test_a_failing_tick_does_not_stop_the_others(dsettings, dsessions, wx_fake):
    boom = Feature("boom", ticks=(Tick("test.boom", lambda rt: 1 / 0, 60),))
    add_follower(dsessions, "o_f")
    with dsessions.begin() as s:
        enqueue_text(s, "o_f", "still delivered", "boom:1")
    rt = sched.Runtime(dsettings, features=installed().with_(boom))
    try:
        assert sched.run_once(rt) is False
    finally:
        rt.close()
    assert len(wx_fake.sent("o_f")) == 1


def test_only_the_owner_refreshes_the_token(dsettings, dsessions, wx_fake):
    worker = WeChatAPI(dsettings.with_(token_owner=False), dsessions)
    with pytest.raises(TransientError):
        worker.send_custom_text("o_w", "hi")
    assert not {"token", "stable_token"} & set(wx_fake.state.call_counts())
    owner = WeChatAPI(dsettings, dsessions)
    assert owner.refresh_if_needed() is True
    assert owner.refresh_if_needed() is False  # still valid: no call
    worker.send_custom_text("o_w", "hi")
    calls = wx_fake.state.call_counts()
    assert calls["stable_token"] == 1 and "token" not in calls
    with dsessions() as s:
        assert s.get(AccessToken, dsettings.wechat_app_id).expires_at > utcnow() + dt.timedelta(hours=1)


def test_refused_token_is_retried_once_with_a_fresh_one(dsettings, dsessions, wx_fake):
    owner = WeChatAPI(dsettings, dsessions)
    owner.send_custom_text("o_t", "first")
    wx_fake.state.expire_tokens()  # 42001 on the next call
    owner.send_custom_text("o_t", "second")
    calls = wx_fake.state.call_counts()
    assert calls["message/custom/send"] == 3 and calls["stable_token"] == 2  # one forced refresh
    wx_fake.fault("message/custom/send", 40001, times=-1)
    with pytest.raises(TokenRejected):
        owner.send_custom_text("o_t", "third")
    assert wx_fake.state.call_counts()["message/custom/send"] == 5  # once, then one retry: never a loop


def test_worker_with_a_stale_token_rereads_the_stored_one(dsettings, dsessions, wx_fake):
    wx_fake.state.configure(token_grace=0)  # a replaced token stops working at once
    owner = WeChatAPI(dsettings, dsessions)
    worker = WeChatAPI(dsettings.with_(token_owner=False), dsessions)
    owner.refresh_if_needed()
    worker.send_custom_text("o_x", "a")  # caches the current token
    with owner._lock:
        owner._refresh(force=True)  # the owner replaces it
    worker.send_custom_text("o_x", "b")  # 40001 → reads the new one from the DB → retry succeeds
    assert len(wx_fake.sent("o_x")) == 2
    assert wx_fake.state.call_counts()["stable_token"] == 2


def test_retention_tick_purges_old_logs(dsettings, dsessions):
    old = utcnow() - dt.timedelta(days=dsettings.log_retention_days + 1)
    with dsessions.begin() as s:
        s.add(MessageLog(openid="o_r", msg_type="text", text="old", created_at=old))
        s.add(MessageLog(openid="o_r", msg_type="text", text="new"))
        s.add(InboundSeen(dedup_key="k-old", openid="o_r", created_at=old))
    rt = sched.Runtime(dsettings)
    try:
        assert sched.run_tick(rt, rt.ticks["logs.purge"])
    finally:
        rt.close()
    with dsessions() as s:
        assert [m.text for m in s.query(MessageLog)] == ["new"]
        assert s.get(InboundSeen, "k-old") is None


def test_scheduler_stops_when_its_postgresql_lock_is_lost(dsettings, dsessions, wx_fake):
    """A PostgreSQL restart drops the advisory lock; the scheduler must notice and exit (status 3)
    rather than keep running beside a second scheduler that could now start."""
    if not dsettings.database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's; SQLite uses a lock file that cannot be lost")
    from sqlalchemy import create_engine, text
    env = {**scheduler_env(dsettings), "SCHEDULER_LOCK_CHECK_SECONDS": "0.5"}
    add_follower(dsessions, "o_l")
    with dsessions.begin() as s:
        enqueue_text(s, "o_l", "调度进程在运行", "sched:lock")
    first = subprocess.Popen([sys.executable, "-c", SCHEDULER_CMD], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: len(wx_fake.sent("o_l")) == 1, timeout=60)  # running, so holding the lock
        assert lock_is_held(dsettings)
        engine = create_engine(dsettings.database_url)
        with engine.begin() as conn:  # what a server restart does to that one connection
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                              "AND objid = :k"), {"k": 0x77786274})
        engine.dispose()
        assert first.wait(timeout=30) == 3
        assert "scheduler lock lost" in first.stdout.read()
    finally:
        if first.poll() is None:
            first.kill()
