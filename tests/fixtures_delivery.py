"""Fixtures for delivery tests: the suite's database (tests/conftest.py picks SQLite or PostgreSQL from
DATABASE_URL), the wx_fake WeChat API on loopback, settings pointing at both.

Load with `pytest_plugins = ["tests.fixtures_delivery"]`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from bot.config import ROOT, Settings
from bot.db import session_factory
from bot.fake_wechat import FakeWeChat
from tests.delivery_helpers import Clock

TEMPLATE_IDS = {"booking_confirm": "TPL_BOOKING_CONFIRM", "notice": "", "cert_status": "invalid_tpl"}


@pytest.fixture
def ddb_url(database_url):
    """The suite's database for this test (SQLite, or PostgreSQL when DATABASE_URL says so)."""
    return database_url


@pytest.fixture(scope="session")
def fake_server():
    server = FakeWeChat().start()
    yield server
    server.stop()


@pytest.fixture
def wx_fake(fake_server):
    fake_server.state.reset(mass_daily_quota=10)
    return fake_server


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
    return Settings(database_url=ddb_url, wechat_api_base=wx_fake.url, token_owner=True,
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
