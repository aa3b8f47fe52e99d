"""Alembic wiring without an ini file: `wxbot db upgrade` and `wxbot db revision` use this."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from bot.config import ROOT, Settings


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return cfg


def upgrade(settings: Settings, revision: str = "heads") -> None:
    if settings.is_sqlite:
        (ROOT / "var").mkdir(exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


def revision(settings: Settings, message: str, autogenerate: bool = True) -> None:
    command.revision(alembic_config(settings), message=message, autogenerate=autogenerate)
