"""Bearer tokens for the staff API: created by `wxbot token create`, stored as SHA-256 only."""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.privacy.audit import audit
from bot.db import utcnow
from bot.jobs.models import ApiToken

log = logging.getLogger(__name__)
PREFIX = "wxb_"


@dataclass
class AuthError(Exception):
    status: int  # 401: who are you? 403: known, but not allowed
    code: str
    zh: str
    en: str


def _hash(token: str) -> str:
    # Tokens carry 256 random bits, so a plain hash is enough (no salt or slow KDF needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, read_only: bool = False,
                 actor: str = "cli") -> tuple[ApiToken, str]:
    """A new token; the plaintext is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name.strip()[:64], token_hash=_hash(token), prefix=token[:10], read_only=read_only)
    session.add(row)
    session.flush()
    audit(session, actor, "api.token_create", f"token:{row.id}", name=row.name, read_only=read_only)
    return row, token


def revoke_tokens(session: Session, *, name: str | None = None, token_id: int | None = None,
                  actor: str = "cli") -> int:
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    query = query.where(ApiToken.id == token_id if token_id is not None else ApiToken.name == name)
    rows = list(session.scalars(query))
    for row in rows:
        row.revoked_at = utcnow()
        audit(session, actor, "api.token_revoke", f"token:{row.id}", name=row.name)
    return len(rows)


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def authenticate(session: Session, header: str | None, write: bool) -> ApiToken:
    """The token named by an Authorization header, or AuthError (401 unknown, 403 revoked/read-only)."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError(401, "unauthorized", "缺少访问令牌（Authorization: Bearer …）",
                        "missing bearer token (Authorization: Bearer …)")
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None:
        raise AuthError(401, "unauthorized", "访问令牌无效", "invalid token")
    if row.revoked_at is not None:
        raise AuthError(403, "token_revoked", "访问令牌已被吊销", "token has been revoked")
    if write and row.read_only:
        raise AuthError(403, "read_only", "这个令牌只能读取，不能修改", "read-only token cannot write")
    row.last_used_at = utcnow()
    return row
