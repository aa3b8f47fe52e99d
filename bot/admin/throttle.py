"""Sign-in throttling per IP and per (account, IP), with doubling blocks that always end.

A stranger guessing passwords blocks only his own address (for that account, then for every
account); staff signing in from elsewhere are never locked out, and no block is permanent.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.admin.models import LoginThrottle

ACCOUNT_LIMIT = 5  # wrong passwords for one account from one address …
IP_LIMIT = 20  # … or for any accounts from one address, within WINDOW …
BLOCK = dt.timedelta(minutes=15)  # … block that pair / address this long, doubling per repeat …
MAX_BLOCK = dt.timedelta(hours=24)  # … up to a day
WINDOW = dt.timedelta(hours=1)  # failures older than this (and no block) are forgotten
FORGIVE = dt.timedelta(days=1)  # a quiet day resets the doubling


def account_key(username: str, remote: str) -> str:
    return f"acct:{username.strip().lower()[:64]}@{remote[:64]}"


def ip_key(remote: str) -> str:
    return f"ip:{remote[:64]}"


def blocked_until(session: Session, username: str, remote: str, now: dt.datetime) -> dt.datetime | None:
    """When this sign-in may be tried again, or None when it may be tried now."""
    rows = session.scalars(select(LoginThrottle).where(
        LoginThrottle.key.in_([account_key(username, remote), ip_key(remote)])))
    ends = [r.blocked_until for r in rows if r.blocked_until and r.blocked_until > now]
    return max(ends) if ends else None


def record_failure(session: Session, username: str, remote: str, now: dt.datetime) -> dt.datetime | None:
    """Counts one wrong password; returns the end of the account block it started, if any."""
    _count(session, ip_key(remote), IP_LIMIT, now)
    return _count(session, account_key(username, remote), ACCOUNT_LIMIT, now)


def record_success(session: Session, username: str, remote: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(username, remote)))


def clear_account(session: Session, username: str) -> None:
    """An admin's unlock: every address's block on this account ends."""
    prefix = account_key(username, "")
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.startswith(prefix, autoescape=True)))


def _count(session: Session, key: str, limit: int, now: dt.datetime) -> dt.datetime | None:
    row = _row(session, key, now)
    if now - row.first_at > FORGIVE:
        row.strikes = 0
    if now - row.first_at > WINDOW and not (row.blocked_until and row.blocked_until > now):
        row.failures, row.first_at = 0, now
    row.failures += 1
    if row.failures < limit:
        return None
    row.strikes += 1
    row.failures, row.first_at = 0, now
    row.blocked_until = now + min(BLOCK * 2 ** (row.strikes - 1), MAX_BLOCK)
    return row.blocked_until


def _row(session: Session, key: str, now: dt.datetime) -> LoginThrottle:
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    if row is not None:
        return row
    try:
        with session.begin_nested():  # two first failures at once: the loser updates the winner's row
            row = LoginThrottle(key=key, failures=0, strikes=0, first_at=now)
            session.add(row)
        return row
    except IntegrityError:
        return session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
