"""Outbox row states and the only transitions between them.

pending → claimed (leased, fenced by attempt_id) → sending (attempt recorded *before* the API call)
        → sent | pending (retry later) | failed (permanent) | cancelled | unknown (staff review)

Every transition is a conditional UPDATE on (id, status/attempt_id), so a dispatcher that lost its
lease can never overwrite another's work. A crash leaves 'claimed' (nothing was sent: back to pending)
or 'sending' (the call may have reached WeChat): see recover().
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from collections import Counter

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.calls.owed import open_for_outbox
from bot.db import LOCAL_TZ
from bot.models import Follower, OutboxMessage as O
from bot.outbox.models import QuotaUsage

T = O.__table__  # Core statements: the hot path needs no ORM bookkeeping

log = logging.getLogger(__name__)
PENDING, CLAIMED, SENDING, SENT, FAILED, CANCELLED, UNKNOWN = (
    "pending", "claimed", "sending", "sent", "failed", "cancelled", "unknown")
# How long after an interrupted attempt a resend is still deduplicated by WeChat itself, with a margin:
# template client_msg_id covers 10 minutes, mass clientmsgid a day. Customer-service messages: never.
DEDUP_WINDOW = {"template": dt.timedelta(minutes=8), "mass": dt.timedelta(hours=23)}
UNSET = object()


@dataclass
class Outcome:
    """What to write after deciding about one row (before or after an API call)."""

    status: str
    last_error: str | None = None
    next_attempt_at: dt.datetime | None = None
    channel: str | None = None
    wx_msg_id: str | None = None
    ambiguous_since: object = UNSET
    payload: dict | None = None
    counts_as_sent: bool = False  # a real successful call: count it against today's quota
    unfollowed: bool = False  # WeChat says the resident no longer follows (43004)
    extra: dict = field(default_factory=dict)


def resend_is_deduplicated(channel: str, since: dt.datetime, at: dt.datetime) -> bool:
    window = DEDUP_WINDOW.get(channel)
    return window is not None and at < since + window


def claim(session: Session, *, now: dt.datetime, limit: int, token: str, lease: dt.timedelta) -> list[O]:
    """Lease up to `limit` due rows; PostgreSQL skips rows another transaction holds (SKIP LOCKED);
    SQLite's BEGIN IMMEDIATE already serialises writers."""
    ids = list(session.scalars(
        select(O.id).where(O.status == PENDING, O.next_attempt_at <= now)
        .order_by(O.next_attempt_at, O.id).limit(limit).with_for_update(skip_locked=True)))
    if not ids:
        return []
    session.execute(update(O).where(O.id.in_(ids), O.status == PENDING)
                    .values(status=CLAIMED, attempt_id=token, lease_until=now + lease)
                    .execution_options(synchronize_session=False))
    return list(session.scalars(select(O).where(O.id.in_(ids), O.attempt_id == token).order_by(O.id)
                                .execution_options(populate_existing=True)))


def recover(session: Session, now: dt.datetime) -> dict[str, int]:
    """Re-examine rows whose lease expired (their dispatcher died); never blindly resend."""
    counts = {"released": 0, "resend": 0, "unknown": 0}
    rows = session.scalars(select(O).where(O.status.in_((CLAIMED, SENDING)), O.lease_until < now)
                           .with_for_update(skip_locked=True)).all()
    for row in rows:
        if row.status == CLAIMED:  # claimed but the call never started: nothing reached WeChat
            row.status, row.attempt_id, row.lease_until = PENDING, None, None
            counts["released"] += 1
            continue
        since = row.ambiguous_since or row.attempt_started_at or now
        row.ambiguous_since, row.lease_until = since, None
        if resend_is_deduplicated(row.channel, since, now):
            row.status, row.next_attempt_at = PENDING, now
            row.last_error = "interrupted while sending; resent under the same dedup id (WeChat drops it)"
            counts["resend"] += 1
        else:
            row.status = UNKNOWN
            row.last_error = ("interrupted while sending: may or may not have arrived; not resent to avoid a "
                              "duplicate. Staff: resend or mark as sent")
            counts["unknown"] += 1
        log.warning("outbox %s: attempt %s interrupted → %s", row.id, row.attempt_id, row.status)
    _open_call_tasks(session, [r.id for r in rows if r.status == UNKNOWN], [])
    return counts


def _open_call_tasks(session: Session, final_ids: list[int], postponed_ids: list[int]) -> None:
    """Owed messages that will not arrive become call tasks in this same transaction (bot.calls)."""
    if final_ids or postponed_ids:
        open_for_outbox(session, final_ids, postponed_ids)


def mark_sending(session: Session, rows: dict[int, str], claim_token: str, attempt_id: str, now: dt.datetime,
                 lease: dt.timedelta) -> set[int]:
    """Record attempts (row id → channel) before calling WeChat; returns the ids we still held."""
    held: set[int] = set()
    for channel in set(rows.values()):  # one UPDATE per channel (a wave usually has one)
        ids = [i for i, ch in rows.items() if ch == channel]
        held |= set(session.scalars(
            update(T).where(T.c.id.in_(ids), T.c.status == CLAIMED, T.c.attempt_id == claim_token)
            .values(status=SENDING, attempt_id=attempt_id, attempt_started_at=now, lease_until=now + lease,
                    attempts=T.c.attempts + 1, channel=channel).returning(T.c.id)))
    return held


def _values(outcome: Outcome, now: dt.datetime) -> dict:
    values: dict = {"status": outcome.status, "last_error": outcome.last_error, "lease_until": None}
    if outcome.status == SENT:
        values.update(sent_at=now, wx_msg_id=outcome.wx_msg_id, ambiguous_since=None)
    if outcome.status == PENDING:
        values.update(next_attempt_at=outcome.next_attempt_at or now, attempt_id=None)
    for name in ("channel", "payload"):
        if getattr(outcome, name) is not None:
            values[name] = getattr(outcome, name)
    if outcome.ambiguous_since is not UNSET:
        values["ambiguous_since"] = outcome.ambiguous_since
    return values


def apply_many(session: Session, fence: str, items: list[tuple[int, Outcome, str | None]],
               now: dt.datetime) -> None:
    """Write outcomes for rows we hold (fenced by attempt/claim id), one executemany per shape."""
    shapes: dict[tuple, list[dict]] = {}
    for row_id, outcome, _openid in items:
        values = _values(outcome, now)
        shapes.setdefault(tuple(sorted(values)), []).append(
            {"b_id": row_id, "b_fence": fence, **{f"v_{k}": v for k, v in values.items()}})
    for keys, params in shapes.items():
        stmt = update(T).where(T.c.id == bindparam("b_id"), T.c.attempt_id == bindparam("b_fence")) \
            .values({k: bindparam(f"v_{k}", type_=T.c[k].type) for k in keys})
        result = session.execute(stmt, params)
        if 0 <= result.rowcount < len(params):
            log.warning("outbox: %d of %d results not recorded, rows were taken over",
                        len(params) - result.rowcount, len(params))
    sent = Counter(o.channel or "custom" for _i, o, _o in items if o.counts_as_sent)
    for channel, n in sent.items():
        add_usage(session, channel, now, n)
    _open_call_tasks(session, [i for i, o, _ in items if o.status in (FAILED, CANCELLED, UNKNOWN)],
                     [i for i, o, _ in items if o.status == PENDING and o.extra.get("postponed")])
    for _row_id, outcome, openid in items:
        if outcome.unfollowed and openid:
            session.execute(update(Follower).where(Follower.openid == openid, Follower.subscribed.is_(True))
                            .values(subscribed=False, unsubscribed_at=now)
                            .execution_options(synchronize_session=False))


def apply(session: Session, row_id: int, fence: str, outcome: Outcome, now: dt.datetime,
          openid: str | None = None) -> None:
    apply_many(session, fence, [(row_id, outcome, openid)], now)


def release(session: Session, claim_token: str) -> int:
    """Give back claimed rows we did not start (stopping, rate limit wait interrupted)."""
    return session.execute(update(T).where(T.c.attempt_id == claim_token, T.c.status == CLAIMED)
                           .values(status=PENDING, attempt_id=None, lease_until=None)).rowcount


def local_day(now: dt.datetime) -> str:
    return now.astimezone(LOCAL_TZ).date().isoformat()


def add_usage(session: Session, channel: str, now: dt.datetime, n: int = 1) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(QuotaUsage).values(day=local_day(now), channel=channel, used=n)
    session.execute(stmt.on_conflict_do_update(index_elements=["day", "channel"],
                                               set_={"used": QuotaUsage.used + n}))


def used_today(session: Session, channel: str, now: dt.datetime) -> int:
    return session.scalar(select(func.coalesce(func.sum(QuotaUsage.used), 0)).where(
        QuotaUsage.day == local_day(now), QuotaUsage.channel == channel)) or 0
