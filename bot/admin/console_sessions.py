"""Server-side console sessions: the cookie names a row; no row (logout, idle, password change), no access."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.admin.models import Staff, StaffSession

TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen is written at most this often (not on every click)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, staff: Staff, remote: str, now: dt.datetime) -> str:
    """A new session for the account; returns the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(id=_hash(token), staff_id=staff.id, version=staff.session_version,
                             remote=remote[:64] or None, created_at=now, last_seen=now))
    return token


def resume(session: Session, staff_id: int, token: str, idle: dt.timedelta, now: dt.datetime) -> Staff | None:
    """The account of a live session (and marks it seen), or None: ended, idle too long or stale."""
    row = session.get(StaffSession, _hash(token))
    if row is None or row.staff_id != staff_id:
        return None
    staff = session.get(Staff, staff_id)
    stale = staff is None or not staff.active or staff.session_version != row.version
    if stale or now - row.last_seen > idle:
        session.delete(row)
        return None
    if now - row.last_seen > TOUCH_EVERY:
        row.last_seen = now
    return staff


def end(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.id == _hash(token)))


def end_all(session: Session, staff: Staff) -> None:
    """Every session of the account (password reset, role change, disabling)."""
    session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))


def purge_idle(session: Session, idle: dt.timedelta, now: dt.datetime) -> int:
    """Rows of sessions nobody can resume any more."""
    stale = select(StaffSession.id).where(StaffSession.last_seen < now - idle)
    return session.execute(delete(StaffSession).where(StaffSession.id.in_(stale))).rowcount
