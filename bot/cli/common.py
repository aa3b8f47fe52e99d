"""What every `wxbot` command group shares: who runs it (for the audit log) and reading a local time."""
from __future__ import annotations

import datetime as dt
import getpass

import click

from bot.db import parse_local_datetime


def cli_actor(by: str | None = None) -> str:
    """Who runs a `wxbot` command, for the audit log: --by/--actor if given, else cli:<login name>."""
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def cli_when(value: str | None) -> dt.datetime | None:
    """A --at/--window option: '2026-12-03', '2026-12-03 09:30' or ISO; Beijing time unless a zone is given."""
    if not value:
        return None
    try:
        return parse_local_datetime(value)
    except ValueError as exc:
        raise click.BadParameter(f"时间格式应为 YYYY-MM-DD 或 'YYYY-MM-DD HH:MM'（not a date-time: {value}）") from exc
