"""Outbox and notice tests: settings pointing at the fake WeChat API with test template ids and no
pacing, a movable clock, followers, limits."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT, Settings
from bot.db import LOCAL_TZ, session_factory, utcnow
from bot.models import Follower

TEMPLATE_IDS = {"booking_confirm": "TPL_BOOKING_CONFIRM", "notice": "", "cert_status": "invalid_tpl"}


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


@pytest.fixture
def ddb_url(database_url):
    """The suite's database for this test (SQLite, or PostgreSQL when DATABASE_URL says so)."""
    return database_url


@pytest.fixture
def dknowledge(tmp_path) -> Path:
    """A copy of knowledge/ whose templates.yaml has test template ids and no pacing."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    data = yaml.safe_load((target / "templates.yaml").read_text("utf-8"))
    for kind, template_id in TEMPLATE_IDS.items():
        data["templates"][kind]["template_id"] = template_id
    data["limits"] = {"mass_daily_quota": 10, "rates_per_minute": {"mass": 0, "template": 0, "custom": 0}}
    (target / "templates.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return target


@pytest.fixture
def dsettings(ddb_url, wx_fake, dknowledge) -> Settings:
    return Settings(database_url=ddb_url, wechat_api_base=wx_fake.url, token_owner=True, demo=True,
                    api_timeout_seconds=1.0, knowledge_dir=str(dknowledge))


@pytest.fixture
def dsessions(dsettings):
    return session_factory(dsettings.database_url)


@pytest.fixture
def dclock():
    return Clock()


@pytest.fixture
def day_clock():
    """A clock at the next 10:00 Beijing time: notices are not held by quiet hours (21:00–08:00)."""
    return Clock().set_local(10)
