"""The one scheduler process (`wxbot scheduler`): outbox, due notices, token refresh, log retention.

Exactly one may run: a PostgreSQL advisory lock held on a dedicated connection for the process's life,
or on SQLite an flock'ed file next to the database. Web workers never start it (each would run every
job); `make run` starts an in-process copy with start_embedded() for the demo only.

Ticks are idempotent functions of a Runtime with fixed ids, declared as data: CORE_TICKS here, and
each feature's own in its `Feature(ticks=[Tick("booking.reminders", …, 300)])`; the Runtime runs the
ticks of the features it is given (bot.engine.features.installed() by default). State (broadcast
times, reminders, delivery) lives in our tables, never in pickled APScheduler jobs, so restarts lose nothing.
"""
from __future__ import annotations

import os
import logging
import signal
import time
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from bot.db import LOCAL_TZ, utcnow
from bot.engine.features import Tick
from bot.engine.followup import sweep_stuck
from bot.engine.services import Services
from bot.notices import service as notices
from bot.outbox.dispatcher import Dispatcher
from bot.privacy.retention import purge_inbound, purge_old_rows
from bot.privacy.retention_idle import purge_idle_rows
from bot.scheduler.lock import SchedulerLock
from bot.wechat.client import WeChatAPI

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler  # why: annotations only

log = logging.getLogger(__name__)
MISFIRE_GRACE_SECONDS = 300  # APScheduler's default is 1 s: a busy minute would silently skip runs
__all__ = ["Tick", "CORE_TICKS", "Runtime", "run", "run_once", "run_tick", "start_embedded", "stop_embedded"]


class Runtime:
    """What ticks get: settings (token owner), sessions, services, the WeChat client, the dispatcher."""

    def __init__(self, settings, clock: Callable[[], datetime] | None = None, features=None):
        self.settings = settings.with_(token_owner=True)
        self.services = Services(self.settings, features=features)
        self.ticks: dict[str, Tick] = self.services.features.ticks
        self.sessions = self.services.sessions
        self.api = WeChatAPI(self.settings, self.sessions)
        self.clock = clock or utcnow  # tests move it (quiet hours, tomorrow's quota) instead of sleeping
        # Long-lived, so its rate buckets span ticks.
        self.dispatcher = Dispatcher(self.settings, self.sessions, self.api, clock=self.clock)

    def close(self) -> None:
        self.dispatcher.stop()
        self.dispatcher.close()


def _token_refresh(rt: Runtime):
    return rt.api.refresh_if_needed()


def _notices_due(rt: Runtime):
    return notices.send_due(rt.settings, rt.sessions, rt.api, now=rt.clock())


def _outbox(rt: Runtime):
    return rt.dispatcher.run()


def _notices_settle(rt: Runtime):
    return notices.settle(rt.sessions)


def _purge_logs(rt: Runtime):
    return purge_old_rows(rt.sessions, rt.settings.log_retention_days)


def _purge_idle(rt: Runtime):
    return purge_idle_rows(rt.sessions, rt.settings)


def _purge_inbound(rt: Runtime):
    return purge_inbound(rt.sessions)


def _inbound_followup(rt: Runtime):
    return sweep_stuck(rt.services)


# Order matters for --once: a token first, notices queue their messages, the outbox sends them.
CORE_TICKS = (
    Tick("token.refresh", _token_refresh, 60),
    Tick("notices.due", _notices_due, 30),
    Tick("outbox.dispatch", _outbox, 3),
    Tick("notices.settle", _notices_settle, 30),
    Tick("logs.purge", _purge_logs, 6 * 3600),
    Tick("idle.purge", _purge_idle, 3600),
    Tick("inbound.purge", _purge_inbound, 300),
    Tick("inbound.followup", _inbound_followup, 10),
)


def run_tick(rt: Runtime, tick: Tick) -> bool:
    """Run one tick, logging (not raising) its failure so the other ticks go on."""
    started = time.monotonic()
    try:
        result = tick.fn(rt)
    except Exception:
        log.exception("tick %s failed", tick.name)
        return False
    log.debug("tick %s done in %.2fs: %s", tick.name, time.monotonic() - started, result)
    return True


def run_once(rt: Runtime) -> bool:
    """Every tick once, in declaration order; True when all succeeded."""
    return all([run_tick(rt, tick) for tick in rt.ticks.values()])


def _add_jobs(scheduler, rt: Runtime) -> None:
    # APScheduler logs every run at INFO: with the outbox every 3 s that buries what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    now = datetime.now(LOCAL_TZ)  # first run at start-up, not one interval later
    for tick in rt.ticks.values():
        scheduler.add_job(run_tick, "interval", args=(rt, tick), seconds=tick.seconds, id=tick.name,
                          name=tick.name, replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=MISFIRE_GRACE_SECONDS, next_run_time=now)


LOCK_CHECK_SECONDS = float(os.environ.get("SCHEDULER_LOCK_CHECK_SECONDS", 30))


def run(settings, once: bool = False) -> int:
    """`wxbot scheduler [--once]`; returns the exit status (2 when another scheduler holds the lock)."""
    lock = SchedulerLock(settings)
    if not lock.acquire():
        log.error("another scheduler is already running (%s); refusing to start", lock.describe())
        return 2
    rt = Runtime(settings)
    try:
        if once:
            return 0 if run_once(rt) else 1
        from apscheduler.schedulers.blocking import BlockingScheduler  # why: web workers import this module, never run it
        scheduler = BlockingScheduler(timezone=LOCAL_TZ)
        _add_jobs(scheduler, rt)

        def _stop(signum, _frame):
            log.info("signal %s: stopping the scheduler", signum)
            rt.dispatcher.stop()  # finish the current message, give unstarted ones back
            scheduler.shutdown(wait=False)
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        lost = []

        def _check_lock():
            if not lock.still_held():  # exit; a supervisor restarts us, and the lock decides again
                log.critical("scheduler lock lost (%s); stopping so two schedulers never run", lock.describe())
                lost.append(True)
                _stop("lock-lost", None)
        scheduler.add_job(_check_lock, "interval", seconds=LOCK_CHECK_SECONDS, id="scheduler.lock_check",
                          replace_existing=True, coalesce=True, max_instances=1)
        log.info("scheduler running: %s", ", ".join(f"{t.name}/{t.seconds:g}s" for t in rt.ticks.values()))
        scheduler.start()
        return 3 if lost else 0
    finally:
        rt.close()
        lock.release()


def start_embedded(settings) -> BackgroundScheduler | None:
    """For `make run` only: the ticks in a background thread of the web process (demo convenience)."""
    lock = SchedulerLock(settings)
    if not lock.acquire():
        log.warning("a scheduler process is running already; the demo does not start its own")
        return None
    rt = Runtime(settings)
    from apscheduler.schedulers.background import BackgroundScheduler  # why: web workers import this module, never run it
    scheduler = BackgroundScheduler(timezone=LOCAL_TZ, daemon=True)
    _add_jobs(scheduler, rt)
    scheduler.start()
    scheduler.wxbot_lock, scheduler.wxbot_runtime = lock, rt  # keep the lock alive with the scheduler
    log.info("embedded scheduler started (demo)")
    return scheduler


def stop_embedded(scheduler: BackgroundScheduler | None) -> None:
    """Stop start_embedded()'s scheduler and free the lock (tests, demo shutdown)."""
    if scheduler is None:
        return
    scheduler.wxbot_runtime.dispatcher.stop()
    scheduler.shutdown(wait=True)
    scheduler.wxbot_runtime.close()
    scheduler.wxbot_lock.release()
