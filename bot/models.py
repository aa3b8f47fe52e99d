"""Core tables: followers, inbound dedup, conversation state, message log, outbox, access token."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow


class Follower(Base):
    """A WeChat user of the account; last_message_at opens the 48-hour customer-service window."""

    __tablename__ = "follower"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(default=True)
    subscribed_at: Mapped[Optional[dt.datetime]]
    unsubscribed_at: Mapped[Optional[dt.datetime]]
    scene: Mapped[Optional[str]] = mapped_column(String(64))  # qrscene_… of a parametric QR code
    last_message_at: Mapped[Optional[dt.datetime]]
    # A menu click, scan or follow opens only a short window (3 sends within 1 minute), not 48 hours.
    last_event_at: Mapped[Optional[dt.datetime]]
    town: Mapped[Optional[str]] = mapped_column(String(32))
    latitude: Mapped[Optional[float]]
    longitude: Mapped[Optional[float]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboundSeen(Base):
    """One row per delivered message/event key, so WeChat's retries get the first reply."""

    __tablename__ = "inbound_seen"
    dedup_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="processing")  # processing|done|failed|lost
    # Kept only for the retry window (bot.privacy.retention.purge_inbound): a retry must get the same reply.
    reply: Mapped[Optional[dict]]
    # The claim's lease: a retry after it expires takes the message over (the first worker died).
    claimed_until: Mapped[Optional[dt.datetime]]
    claim_token: Mapped[Optional[str]] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class CallbackNonce(Base):
    """A recently seen (nonce, timestamp) and the message it carried: a replayed signature with
    another message is refused; purged after ten minutes."""

    __tablename__ = "callback_nonce"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    timestamp: Mapped[str] = mapped_column(String(16), primary_key=True)
    # sha256 of the message's dedup key: which message it carried, without the sender's openid.
    message_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class ConversationState(Base):
    """Per-openid conversation state shared by all workers: active flow and the last numbered list."""

    __tablename__ = "conversation_state"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[Optional[str]] = mapped_column(String(40))
    step: Mapped[Optional[str]] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(default=dict)
    options: Mapped[list] = mapped_column(default=list)  # [[label, action], …] of the last list offered
    expires_at: Mapped[Optional[dt.datetime]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MessageLog(Base):
    """Every inbound message with how it was routed, for staff review; purged after retention."""

    __tablename__ = "message_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    text: Mapped[Optional[str]] = mapped_column(Text)
    route: Mapped[Optional[str]] = mapped_column(String(64))
    kind: Mapped[Optional[str]] = mapped_column(String(16))  # answer|suggest|referral|smalltalk|fallback|command
    topic: Mapped[Optional[str]] = mapped_column(String(64))
    score: Mapped[Optional[float]]
    latency_ms: Mapped[Optional[int]]
    detail: Mapped[Optional[dict]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class OutboxMessage(Base):
    """One outgoing message per (message, recipient, channel); written with the business change."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))  # custom|template|mass
    openid: Mapped[Optional[str]] = mapped_column(String(64), index=True)  # None for mass sends
    payload: Mapped[dict]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|failed|cancelled
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[Optional[dt.datetime]]
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[Optional[str]] = mapped_column(String(64))  # e.g. notice:12, booking:7
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[dt.datetime]]
    # Crash-safe sending (migration 0002_delivery): the fencing token of the claim/attempt, and when
    # the last call began.
    attempt_id: Mapped[Optional[str]] = mapped_column(String(32))
    attempt_started_at: Mapped[Optional[dt.datetime]]
    # Set when an attempt may or may not have reached WeChat (crash mid-call, read timeout); a resend is
    # only safe while the channel's own dedup (template client_msg_id 10 min, mass clientmsgid 24 h) covers it.
    ambiguous_since: Mapped[Optional[dt.datetime]]
    wx_msg_id: Mapped[Optional[str]] = mapped_column(String(32), index=True)  # WeChat's msgid / msg_id
    # A message owed to a resident (booking change, waitlist offer, certificate step…; migration 0012): what
    # it is, and the record it is about. Undeliverable ones become call tasks (bot.calls). None: not owed.
    owed: Mapped[Optional[str]] = mapped_column(String(60))
    owed_ref: Mapped[Optional[str]] = mapped_column(String(40), index=True)  # booking:12, waitlist:3…


class AccessToken(Base):
    """The one access token, refreshed only by its owner (the scheduler); workers only read it."""

    __tablename__ = "access_token"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(600))
    expires_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditLog(Base):
    """Who did what to personal data or settings: staff in the console, CLI imports, API clients."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))  # staff username, "cli:<user>", "api:<token name>"
    action: Mapped[str] = mapped_column(String(64))  # e.g. certs.import, record.view, booking.mark
    target: Mapped[Optional[str]] = mapped_column(String(200))  # never a whole ID number
    detail: Mapped[Optional[dict]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
