"""A real database per test (SQLite file or PostgreSQL), the settings and services on it.

DATABASE_URL selects the backend: unset → SQLite; postgresql+psycopg://… → a fresh database is
created for the session, migrated once and truncated between tests. An unreachable PostgreSQL skips
the database tests, except under CI=true, where it fails the run.
"""
from __future__ import annotations

import os
import secrets
import shutil

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.answers import knowledge
from bot import migrate
from bot.config import DEMO, ROOT, Settings
from bot.db import dispose_all
from bot.engine.services import Services

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _backend_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def pytest_configure(config):
    config.addinivalue_line("markers", "knowledge_copy: `settings` read a temporary copy of knowledge/ "
                            "(tests that edit it, e.g. through the console)")
    config.addinivalue_line("markers", "instant_reload: knowledge/ is re-read on every use (no 2 s check)")


@pytest.fixture(autouse=True)
def demo_mode(monkeypatch):
    """The suite runs on demo secrets: CLI commands and subprocesses see WXBOT_DEMO=1 (production refuses)."""
    monkeypatch.setenv("WXBOT_DEMO", "1")


@pytest.fixture(autouse=True)
def instant_reload(request, monkeypatch):
    """Marked tests see an edit of knowledge/ at once (the console's edits, a changed fact)."""
    if request.node.get_closest_marker("instant_reload") or request.node.get_closest_marker("knowledge_copy"):
        monkeypatch.setattr(knowledge, "RELOAD_CHECK_SECONDS", 0.0)


@pytest.fixture(scope="session")
def db_template(tmp_path_factory):
    url = _backend_url()
    if url.startswith("postgresql"):
        yield from _pg_database(url)
        return
    path = tmp_path_factory.mktemp("dbtemplate") / "template.sqlite3"
    migrate.upgrade(Settings(database_url=f"sqlite:///{path}"))
    dispose_all()
    yield ("sqlite", str(path))


def _pg_database(url: str):
    base = make_url(url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable: {exc.__class__.__name__}")
    name = f"wxbot_t_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = base.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(Settings(database_url=test_url))
    yield ("postgresql", test_url)
    dispose_all()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(db_template, tmp_path):
    kind, where = db_template
    if kind == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(where, target)
        yield f"sqlite:///{target}"
    else:
        engine = create_engine(where)
        with engine.begin() as conn:
            tables = [r[0] for r in conn.execute(text(
                "select tablename from pg_tables where schemaname='public' and tablename<>'alembic_version'"))]
            if tables:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        engine.dispose()
        yield where
    dispose_all()


@pytest.fixture
def settings(request, database_url, tmp_path):
    """Demo settings on this test's database; knowledge/ is a temporary copy when marked knowledge_copy."""
    knowledge_dir = ROOT / "knowledge"
    if request.node.get_closest_marker("knowledge_copy"):
        knowledge_dir = request.getfixturevalue("knowledge_copy")
    return Settings(database_url=database_url, wechat_aes_key=DEMO["WECHAT_AES_KEY"], simulator_enabled=True, demo=True,
                    knowledge_dir=str(knowledge_dir), wechat_api_base="http://127.0.0.1:9")


@pytest.fixture
def services(settings):
    return Services(settings)


@pytest.fixture
def knowledge_copy(tmp_path):
    """A writable copy of knowledge/ for tests that edit it."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


__all__ = ["PG_DEFAULT"]
