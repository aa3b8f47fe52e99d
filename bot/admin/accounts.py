"""Staff accounts without Flask: create, verify with lockout, reset — shared by the console and CLI."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.admin import console_sessions, throttle
from bot.admin.models import ROLES, Staff
from bot.privacy.audit import audit
from bot.db import utcnow

log = logging.getLogger(__name__)

# Wrong passwords from one address block that address (bot/admin/throttle.py), never the account.
LOCK_AFTER = throttle.ACCOUNT_LIMIT
LOCK_MINUTES = int(throttle.BLOCK.total_seconds() // 60)  # the first block; repeats double it
MIN_PASSWORD = 10
# Verifying against this when the username is unknown keeps both failures equally slow.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


class AccountError(ValueError):
    """A refused account change, with a message staff can read."""


def check_password_rules(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    if username and username.lower() in password.lower():
        raise AccountError("密码不能包含用户名")
    if len(set(password)) < 4:
        raise AccountError("密码太简单，请混用字母、数字和符号")


def find(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(func.lower(Staff.username) == username.strip().lower()))


def create(session: Session, username: str, password: str, role: str, actor: str,
           display_name: str | None = None) -> Staff:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("用户名不能为空、不能有空格，最长 64 个字符")
    if role not in ROLES:
        raise AccountError(f"角色必须是 {'/'.join(ROLES)}")
    if find(session, username) is not None:
        raise AccountError(f"用户名 {username} 已存在")
    check_password_rules(username, password)
    staff = Staff(username=username, display_name=display_name or None, role=role,
                  password_hash=generate_password_hash(password), active=True, failed_logins=0,
                  session_version=1)
    session.add(staff)
    session.flush()
    audit(session, actor, "staff.create", username, role=role)
    return staff


def set_password(session: Session, staff: Staff, password: str, actor: str) -> None:
    check_password_rules(staff.username, password)
    staff.password_hash = generate_password_hash(password)
    staff.failed_logins, staff.locked_until = 0, None
    staff.session_version += 1  # sign out every open session of this account
    console_sessions.end_all(session, staff)
    audit(session, actor, "staff.password", staff.username)


def set_role(session: Session, staff: Staff, role: str, actor: str) -> None:
    if role not in ROLES:
        raise AccountError(f"角色必须是 {'/'.join(ROLES)}")
    if staff.role == "admin" and role != "admin" and _other_admins(session, staff) == 0:
        raise AccountError("不能取消最后一个管理员")
    before, staff.role = staff.role, role
    staff.session_version += 1
    console_sessions.end_all(session, staff)
    audit(session, actor, "staff.role", staff.username, before=before, after=role)


def set_active(session: Session, staff: Staff, active: bool, actor: str) -> None:
    if not active and staff.role == "admin" and _other_admins(session, staff) == 0:
        raise AccountError("不能停用最后一个管理员")
    staff.active = active
    staff.session_version += 1
    console_sessions.end_all(session, staff)
    audit(session, actor, "staff.enable" if active else "staff.disable", staff.username)


def unlock(session: Session, staff: Staff, actor: str) -> None:
    staff.failed_logins, staff.locked_until = 0, None
    throttle.clear_account(session, staff.username)
    audit(session, actor, "staff.unlock", staff.username)


def _other_admins(session: Session, staff: Staff) -> int:
    return session.scalar(select(func.count()).select_from(Staff).where(
        Staff.role == "admin", Staff.active.is_(True), Staff.id != staff.id)) or 0


def is_locked(staff: Staff, now: dt.datetime | None = None) -> bool:
    """Some address is blocked from this account (shown in the console; only that address is refused)."""
    return bool(staff.locked_until and staff.locked_until > (now or utcnow()))


def authenticate(session: Session, username: str, password: str, remote: str = "") -> tuple[Staff | None, str]:
    """(staff, "") on success, else (None, "bad"): one answer for unknown, wrong, blocked and disabled.

    Wrong passwords are counted per address and per (account, address) (bot/admin/throttle.py), so a
    stranger blocks himself, never the staff signing in from elsewhere; every refusal is audited.
    """
    now = utcnow()
    name = username.strip()[:64]
    if throttle.blocked_until(session, name, remote, now):
        check_password_hash(_DUMMY_HASH, password)  # as slow as a real check: the answer tells nothing
        audit(session, f"anon:{remote}"[:64], "staff.login_refused", name, reason="throttled")
        return None, "bad"
    staff = session.scalar(select(Staff).where(func.lower(Staff.username) == name.lower()).with_for_update())
    if staff is None or not check_password_hash(staff.password_hash if staff else _DUMMY_HASH, password):
        until = throttle.record_failure(session, name, remote, now)
        if staff is None:
            audit(session, f"anon:{remote}"[:64], "staff.login_failed", name, reason="unknown")
            return None, "bad"
        staff.failed_logins = (staff.failed_logins or 0) + 1
        if until is not None:
            staff.locked_until = max(until, staff.locked_until or until)  # shown to admins, who can unlock
            log.warning("staff account %s blocked from %s after %d failed logins", staff.username, remote,
                        LOCK_AFTER)
            audit(session, staff.username, "staff.locked", staff.username, remote=remote,
                  until=until.isoformat())
        else:
            audit(session, staff.username, "staff.login_failed", staff.username, remote=remote)
        return None, "bad"
    if not staff.active:
        audit(session, staff.username, "staff.login_refused", staff.username, reason="disabled")
        return None, "bad"
    throttle.record_success(session, name, remote)
    staff.failed_logins, staff.last_login = 0, now
    audit(session, staff.username, "staff.login", staff.username, remote=remote)
    return staff, ""
