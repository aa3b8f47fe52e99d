"""Helpers for delivery tests (plain functions; the fixtures are in tests/fixtures_delivery.py)."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml

from bot.db import LOCAL_TZ, utcnow
from bot.models import Follower


def set_limits(knowledge: Path, **limits) -> None:
    path = knowledge / "templates.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["limits"].update(limits)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 1))  # mtime-based reload


def add_follower(sessions, openid: str, *, town: str | None = None, hours_since_message: float | None = 1,
                 subscribed: bool = True) -> None:
    last = utcnow() - dt.timedelta(hours=hours_since_message) if hours_since_message is not None else None
    with sessions.begin() as session:
        session.add(Follower(openid=openid, town=town, subscribed=subscribed, last_message_at=last))


class Clock:
    """A movable clock for the dispatcher (retries, leases) without sleeping."""

    def __init__(self):
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset

    def advance(self, **delta) -> None:
        self.offset += dt.timedelta(**delta)

    def set_local(self, hour: int, minute: int = 0) -> "Clock":
        """Move on to the next hour:minute Beijing time (today's if still ahead) — never backwards."""
        now = self()
        local = now.astimezone(LOCAL_TZ)
        target = dt.datetime.combine(local.date(), dt.time(hour, minute), LOCAL_TZ)
        if target < local:
            target += dt.timedelta(days=1)
        self.offset += target - now
        return self
