"""Queue outgoing messages in the caller's transaction; the scheduler delivers them (bot.outbox.notify).

Channels: "custom" (customer-service message, 48-hour window), "template" (template message, or text
when no template is configured for the kind — see bot.outbox.notify.notify), "mass" (群发 by tag / to all /
to an openid list, one row per broadcast).
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.models import OutboxMessage


def enqueue(session: Session, *, channel: str, dedupe_key: str, payload: dict, openid: str | None = None,
            source: str | None = None, not_before: dt.datetime | None = None, **owed) -> OutboxMessage:
    """Add one message unless its dedupe key exists already (idempotent for retried work).
    owed: owed=…, owed_ref=… for a message the resident must get (see bot.outbox.notify.notify)."""
    dedupe_key = dedupe_key[:200]
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    row = OutboxMessage(channel=channel, dedupe_key=dedupe_key, payload=payload, openid=openid,
                        source=source, next_attempt_at=not_before or utcnow(), **owed)
    session.add(row)
    session.flush()
    return row


def enqueue_text(session: Session, openid: str, text: str, dedupe_key: str, source: str | None = None, *,
                 fallback_kind: str | None = None, fallback_fields: dict | None = None,
                 not_before: dt.datetime | None = None):
    """A customer-service text message (only inside the resident's 48-hour window).

    With fallback_kind (a kind in knowledge/templates.yaml) the dispatcher sends that template instead
    when the window has closed; without it such a message fails with "window closed".
    """
    payload: dict = {"msgtype": "text", "text": {"content": text}}
    if fallback_kind:
        payload.update(kind=fallback_kind, fields={k: str(v) for k, v in (fallback_fields or {}).items()})
    return enqueue(session, channel="custom", dedupe_key=dedupe_key, openid=openid, source=source,
                   payload=payload, not_before=not_before)


def client_msg_id(dedupe_key: str, prefix: str = "") -> str:
    """A stable id WeChat uses to drop repeats (mass clientmsgid ≤ 64, template client_msg_id)."""
    return prefix + hashlib.sha1(dedupe_key.encode("utf-8")).hexdigest()[:32]


def enqueue_mass_text(session: Session, text: str, dedupe_key: str, *, to_all: bool = False,
                      tag_id: int | None = None, openids: list[str] | None = None, source: str | None = None,
                      not_before: dt.datetime | None = None) -> OutboxMessage:
    """One broadcast (群发) row: to all followers, to a WeChat tag, or to 2–10 000 openids.

    Its clientmsgid is fixed here, so any resend after a crash is refused by WeChat (45065) instead of
    reaching followers twice.
    """
    if sum((to_all, tag_id is not None, openids is not None)) != 1:
        raise ValueError("choose exactly one of to_all, tag_id, openids")
    if to_all:
        target: dict = {"to_all": True}
    else:
        target = {"tag_id": int(tag_id)} if tag_id is not None else {"openids": openids}
    payload = {"msgtype": "text", "text": {"content": text}, "target": target,
               "clientmsgid": client_msg_id(dedupe_key, "m")}
    return enqueue(session, channel="mass", dedupe_key=dedupe_key, payload=payload, source=source,
                   not_before=not_before)
