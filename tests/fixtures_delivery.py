"""Fixtures for delivery tests: a database per backend (SQLite always, PostgreSQL when reachable — under
CI=true an unreachable PostgreSQL fails), the wx_fake WeChat API on loopback, settings pointing at both.

Load with `pytest_plugins = ["tests.fixtures_delivery"]`.
"""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import migrate
from bot.config import ROOT, Settings
from bot.db import dispose_all, session_factory
from bot.fake_wechat import FakeWeChat
from tests.delivery_helpers import Clock

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEMPLATE_IDS = {"booking_confirm": "TPL_BOOKING_CONFIRM", "notice": "", "cert_status": "invalid_tpl"}


def _pg_url() -> str:
    env = os.environ.get("DATABASE_URL", "")
    return os.environ.get("WXBOT_TEST_PG_URL") or (env if env.startswith("postgresql") else PG_DEFAULT)


# Unset DATABASE_URL (`make test`): SQLite, and PostgreSQL too when reachable. DATABASE_URL=postgresql…
# (CI's second run): PostgreSQL only, so CI does not run the SQLite half twice.
ONLY_PG = os.environ.get("DATABASE_URL", "").startswith("postgresql")
BACKENDS = ["postgresql"] if ONLY_PG else ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
def delivery_db(request, tmp_path_factory):
    """(kind, url of a migrated database or template file) for the whole session."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("deliverydb") / "template.sqlite3"
        migrate.upgrade(Settings(database_url=f"sqlite:///{path}"))
        dispose_all()
        yield "sqlite", str(path)
        return
    base = make_url(_pg_url())
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable: {exc.__class__.__name__}")
    name = f"wxbot_t_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(Settings(database_url=url))
        yield "postgresql", url
    finally:
        dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def ddb_url(delivery_db, tmp_path):
    kind, where = delivery_db
    if kind == "sqlite":
        target = tmp_path / "delivery.sqlite3"
        shutil.copyfile(where, target)
        yield f"sqlite:///{target}"
    else:
        engine = create_engine(where)
        with engine.begin() as conn:
            tables = [r[0] for r in conn.execute(text(
                "select tablename from pg_tables "
                "where schemaname='public' and tablename<>'alembic_version'"))]
            names = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        yield where
    dispose_all()


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
