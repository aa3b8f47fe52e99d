"""Console tables: staff accounts, and the history of knowledge edits made in the console."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

ROLES = ("admin", "editor", "viewer")
ROLE_LABELS = {"admin": "管理员", "editor": "编辑", "viewer": "只读"}


class Staff(Base):
    """A console account. Passwords are scrypt hashes (werkzeug); never stored or logged in clear."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[Optional[str]] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="viewer")  # admin|editor|viewer
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[dt.datetime]]
    last_login: Mapped[Optional[dt.datetime]]
    # Bumped on password reset, role change or disabling: every open session of the account ends.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class KnowledgeEdit(Base):
    """One change to knowledge/ made in the console (entry edit, sample question, local fact).

    The YAML files stay the source of truth the matcher reads; these rows are the history (who,
    when, before/after) and let `export_all` rewrite the files on another host from the database.
    """

    __tablename__ = "knowledge_edit"
    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(100), index=True)  # entry id, or "local:<key>"
    action: Mapped[str] = mapped_column(String(32))  # edit|add_question|fact|dismiss|revert
    question: Mapped[Optional[str]] = mapped_column(Text)  # question added/dismissed, or the editor's note
    before: Mapped[Optional[dict]]
    after: Mapped[Optional[dict]]
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AdminTask(Base):
    """A long console job (registry import) run in a background thread; its progress is polled.

    Kept in the database, not in memory, so the progress page works whichever worker serves it.
    """

    __tablename__ = "admin_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # certs.import
    actor: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    stage: Mapped[Optional[str]] = mapped_column(String(32))
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    filename: Mapped[Optional[str]] = mapped_column(String(200))
    result: Mapped[Optional[dict]]  # the row report (masked: never whole ID numbers)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]]


class StaffSession(Base):
    """One signed-in console session; the cookie carries its token, the row makes it revocable.

    Logout deletes the row, the idle timeout is checked against last_seen, and a password, role or
    state change (session_version) ends the older rows: a copied cookie stops working with them.
    """

    __tablename__ = "staff_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token in the cookie
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)  # the account's session_version at sign-in
    remote: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Failed sign-ins counted per IP and per (account, IP): a stranger slows himself, not the staff."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "ip:…" or "acct:<name>@<ip>"
    failures: Mapped[int] = mapped_column(default=0)
    strikes: Mapped[int] = mapped_column(default=0)  # blocks so far: each doubles the next one
    first_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[Optional[dt.datetime]]
