"""Audit trail for staff actions on personal data (written in the caller's transaction)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.models import AuditLog
from bot.privacy.pii import scrub, scrub_all


def audit(session: Session, actor: str, action: str, target: str | None = None, **detail) -> None:
    session.add(AuditLog(actor=actor[:64], action=action[:64], target=scrub(target)[:200] if target else None,
                         detail=scrub_all(detail) or None))
