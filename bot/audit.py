"""Audit trail for staff actions on personal data (written in the caller's transaction)."""
from __future__ import annotations

import getpass

from sqlalchemy.orm import Session

from bot.models import AuditLog
from bot.pii import scrub, scrub_all


def cli_actor(by: str | None = None) -> str:
    """Who runs a `wxbot` command, for the audit log: --by/--actor if given, else cli:<login name>."""
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def audit(session: Session, actor: str, action: str, target: str | None = None, **detail) -> None:
    session.add(AuditLog(actor=actor[:64], action=action[:64], target=scrub(target)[:200] if target else None,
                         detail=scrub_all(detail) or None))
