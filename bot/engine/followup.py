"""Residents whose message failed on a database error get a customer-service message once it is back.

Two sources, one rule (follow_up): a message whose database work failed before anything was stored is
remembered in this process (FollowUps, flushed by a short-lived thread); a claim left 'processing' by a
killed worker is found by the scheduler (sweep_stuck). Either way, once WeChat's re-deliveries are over
and none of them got the message answered, one follow-up is queued (outbox dedupe key per message, so
several workers never send two) and the dedup row says 'lost'. Events (menu clicks, follows) are only
marked lost: WeChat opens no 48-hour window for them.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from sqlalchemy import or_, select

from bot.db import LOCAL_TZ, utcnow
from bot.db_limits import begin_bounded
from bot.outbox.notify import notify
from bot.models import Follower, InboundSeen

log = logging.getLogger(__name__)
# WeChat's three deliveries span ~15 s: after this nobody else will answer the message.
RETRY_WINDOW = dt.timedelta(seconds=20)


def follow_up_text(services, at: dt.datetime) -> str:
    when = at.astimezone(LOCAL_TZ).strftime("%H:%M")
    return (f"抱歉，您在 {when} 发来的消息，系统当时出了故障没能处理。现在已经恢复，请再发一次。\n"
            + services.local_facts().way_out())


def follow_up(session, services, dedup_key: str, openid: str, at: dt.datetime) -> bool | None:
    """Queue the follow-up unless the message was answered; None while a delivery may still answer."""
    seen = session.get(InboundSeen, dedup_key, with_for_update=True)
    if seen is not None and seen.status != "processing":
        return False  # answered (done), apologised (failed) or followed up already (lost)
    if seen is not None and seen.claimed_until is not None and seen.claimed_until > utcnow():
        return None
    if dedup_key.startswith("m:"):  # a message (events open no 48-hour window to write back in)
        follower = session.get(Follower, openid)
        if follower is None:
            follower = Follower(openid=openid, subscribed=True)
            session.add(follower)
        # WeChat received the message, so its customer-service window is open even though we failed.
        if follower.last_message_at is None or follower.last_message_at < at:
            follower.last_message_at = at
        notify(session, openid, "followup", {}, dedupe_key=f"followup:{dedup_key}",
               text_fallback=follow_up_text(services, at), source="followup")
    if seen is None:
        session.add(InboundSeen(dedup_key=dedup_key, openid=openid, status="lost"))
    else:
        seen.status, seen.claimed_until = "lost", None
    log.warning("%s was never answered: follow-up message queued", dedup_key)
    return True


def sweep_stuck(services) -> int:
    """Scheduler tick: claims whose worker died and that no re-delivery took over get a follow-up."""
    cutoff = utcnow() - RETRY_WINDOW
    with services.sessions() as session:
        stuck = session.execute(select(InboundSeen.dedup_key, InboundSeen.openid, InboundSeen.created_at).where(
            InboundSeen.status == "processing",
            or_(InboundSeen.claimed_until < cutoff,
                InboundSeen.claimed_until.is_(None) & (InboundSeen.created_at < cutoff)))).all()
    sent = 0
    for key, openid, created in stuck:
        with services.sessions.begin() as session:
            sent += bool(follow_up(session, services, key, openid, created))
    return sent


class FollowUps:
    """This process's messages that failed before the database stored anything (lost on a restart
    of the process: the scheduler's sweep covers those whose claim was stored)."""

    def __init__(self, services, poll_seconds: float = 2.0):
        self.services, self.poll_seconds = services, poll_seconds
        self.pending: dict[str, tuple[str, dt.datetime]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(self, dedup_key: str, openid: str) -> None:
        with self._lock:
            self.pending.setdefault(dedup_key, (openid, utcnow()))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, name="followups", daemon=True)
                self._thread.start()

    def flush(self, now: dt.datetime | None = None) -> int:
        """Queue follow-ups for failures older than the retry window; keep them while the DB is down."""
        now = now or utcnow()
        with self._lock:
            due = [(k, v) for k, v in self.pending.items() if v[1] + RETRY_WINDOW <= now]
        queued = 0
        for key, (openid, at) in due:
            try:
                with begin_bounded(self.services.sessions) as session:
                    result = follow_up(session, self.services, key, openid, at)
            except Exception as exc:  # still down: try again on the next round
                log.info("follow-up for %s postponed: %s", key, exc.__class__.__name__)
                continue
            if result is not None:
                queued += bool(result)
                with self._lock:
                    self.pending.pop(key, None)
        return queued

    def _drain(self) -> None:
        while True:
            time.sleep(self.poll_seconds)
            self.flush()
            with self._lock:
                if not self.pending:
                    self._thread = None
                    return
