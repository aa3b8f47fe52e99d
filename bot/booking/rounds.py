"""Staff-side round management: create, edit, cancel, list; the booking window and the cutoff.

Times: a round's `date` is a local (Asia/Shanghai) calendar day. The cancellation deadline is that
day's 00:00 local minus `cutoff_hours` (12 → noon the day before). Booking closes at the same
moment unless staff set `window_end`, so the route sheet is stable once cancelling is closed.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.models import ACTIVE, WAITING, AssessmentRound, Booking, Waitlist
from bot.booking.notify import send
from bot.calendar_cn import CATEGORIES, WEEKDAYS, day_start  # noqa: F401 - booking's names
from bot.db import LOCAL_TZ, utcnow
from bot.privacy.audit import audit

log = logging.getLogger(__name__)
# Edits residents must hear about; capacity, window or note changes are not worth a message.
NOTIFY_FIELDS = ("date", "team")


class RoundError(ValueError):
    """A staff input that cannot be applied (shown to staff as is, in Chinese)."""


def cancel_deadline(rnd: AssessmentRound) -> dt.datetime:
    return day_start(rnd.date) - dt.timedelta(hours=rnd.cutoff_hours)


def places_left(rnd: AssessmentRound) -> int:
    return max(0, rnd.capacity - rnd.booked)


def is_bookable(rnd: AssessmentRound, now: dt.datetime | None = None) -> bool:
    """Open and inside its booking window (it may still be full)."""
    now = now or utcnow()
    return rnd.status == "open" and rnd.window_start <= now < rnd.window_end


def serves(rnd: AssessmentRound, town: str | None, category: int | None) -> bool:
    """Whether the round visits this town and assesses this category (unknown fits open rounds)."""
    if town is not None and town not in (rnd.towns or []):
        return False
    return not rnd.categories or category in rnd.categories


def open_rounds(session: Session, town: str | None, category: int | None = None,
                now: dt.datetime | None = None, any_category: bool = False) -> list[AssessmentRound]:
    """Bookable rounds for a town, soonest first (full ones included: they offer the waitlist)."""
    now = now or utcnow()
    rows = session.scalars(select(AssessmentRound).where(
        AssessmentRound.status == "open", AssessmentRound.window_end > now,
        AssessmentRound.window_start <= now).order_by(AssessmentRound.date, AssessmentRound.id))
    return [r for r in rows if (town is None or town in (r.towns or []))
            and (any_category or serves(r, None, category))]


def describe(rnd: AssessmentRound) -> str:
    """'12月5日（星期五）' — the way residents say dates."""
    return f"{rnd.date.month}月{rnd.date.day}日（星期{WEEKDAYS[rnd.date.weekday()]}）"


def _check(date: dt.date, towns: list[str], capacity: int, categories: list[int], booked: int = 0,
           today: dt.date | None = None) -> None:
    if not towns:
        raise RoundError("至少要有一个乡镇")
    if capacity < max(1, booked):
        raise RoundError(f"名额不能少于已预约人数（{booked}）" if booked else "名额至少为 1")
    if any(c not in CATEGORIES for c in categories):
        raise RoundError("残疾类别只能是 1–7")
    if today and date < today:
        raise RoundError("日期已经过去了")


def create_round(session: Session, *, date: dt.date, towns: list[str], capacity: int, actor: str,
                 team: str | None = None, categories: list[int] | None = None,
                 window_start: dt.datetime | None = None, window_end: dt.datetime | None = None,
                 cutoff_hours: int = 12, note: str | None = None) -> AssessmentRound:
    """A new round, open for booking from window_start (default now) to window_end (default cutoff)."""
    now = utcnow()
    categories = sorted(set(categories or []))
    _check(date, towns, capacity, categories, today=now.astimezone(LOCAL_TZ).date())
    rnd = AssessmentRound(date=date, towns=list(dict.fromkeys(towns)), capacity=capacity, team=team,
                          categories=categories, cutoff_hours=cutoff_hours, note=note, created_by=actor,
                          window_start=window_start or now, window_end=window_end or now)
    if window_end is None:
        rnd.window_end = cancel_deadline(rnd)
    if rnd.window_end <= rnd.window_start:
        raise RoundError("预约截止时间要晚于开始时间")
    session.add(rnd)
    session.flush()
    audit(session, actor, "round.create", f"round:{rnd.id}", date=date.isoformat(), towns=rnd.towns,
          capacity=capacity, team=team, categories=categories)
    return rnd


def edit_round(session: Session, round_id: int, actor: str, **changes) -> AssessmentRound:
    """Apply staff edits; a changed date or team is told to every booked resident (once per edit)."""

    rnd = session.get(AssessmentRound, round_id, with_for_update=True)
    if rnd is None or rnd.status != "open":
        raise RoundError("没有这个场次，或场次已取消")
    allowed = {"date", "towns", "capacity", "team", "categories", "window_start", "window_end",
               "cutoff_hours", "note"}
    unknown = set(changes) - allowed
    if unknown:
        raise RoundError(f"不能修改：{', '.join(sorted(unknown))}")
    changes = {k: v for k, v in changes.items() if v is not None and getattr(rnd, k) != v}
    merged = {k: changes.get(k, getattr(rnd, k)) for k in ("date", "towns", "capacity", "categories")}
    _check(merged["date"], merged["towns"], merged["capacity"], merged["categories"], booked=rnd.booked,
           today=utcnow().astimezone(LOCAL_TZ).date() if "date" in changes else None)
    before = {k: _plain(getattr(rnd, k)) for k in changes}
    for key, value in changes.items():
        setattr(rnd, key, value)
    if "date" in changes and "window_end" not in changes and "cutoff_hours" not in changes:
        rnd.window_end = cancel_deadline(rnd)  # keep the default window in step with the new day
    if any(k in changes for k in NOTIFY_FIELDS):
        rnd.version += 1
        notify_round_changed(session, rnd, before)
    if changes:
        audit(session, actor, "round.edit", f"round:{rnd.id}", before=before,
              after={k: _plain(v) for k, v in changes.items()})
    return rnd


def cancel_round(session: Session, round_id: int, actor: str, reason: str) -> AssessmentRound:
    """Cancel a round: its bookings end as round_cancelled and every resident is told why."""

    rnd = session.get(AssessmentRound, round_id, with_for_update=True)
    if rnd is None:
        raise RoundError("没有这个场次")
    if rnd.status == "cancelled":
        return rnd
    rnd.status, rnd.cancel_reason = "cancelled", reason
    bookings = session.scalars(select(Booking).where(Booking.round_id == rnd.id,
                                                     Booking.status == ACTIVE)).all()
    for booking in bookings:
        booking.status, booking.status_reason = "round_cancelled", reason[:200]
        booking.marked_by, booking.marked_at = actor[:64], utcnow()
    rnd.booked = 0
    waiting = session.scalars(select(Waitlist).where(Waitlist.round_id == rnd.id,
                                                     Waitlist.status.in_(WAITING))).all()
    for entry in waiting:
        entry.status = "closed"
    notify_round_cancelled(session, rnd, bookings, waiting)
    audit(session, actor, "round.cancel", f"round:{rnd.id}", reason=reason, bookings=len(bookings))
    log.info("round %s cancelled by %s: messages queued for %s bookings", rnd.id, actor, len(bookings))
    return rnd


def list_rounds(session: Session, include_past: bool = False) -> list[AssessmentRound]:
    query = select(AssessmentRound).order_by(AssessmentRound.date, AssessmentRound.id)
    if not include_past:
        query = query.where(AssessmentRound.date >= utcnow().astimezone(LOCAL_TZ).date())
    return list(session.scalars(query))


def _plain(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


# ---- what booked residents are told when staff change a round ------------------------------

def message_fields(item: str, rnd: AssessmentRound, row) -> dict:
    """Template values (knowledge/templates.yaml: item, time, place); changes, cancellations and
    offers reuse the reminder template so they reach residents outside the 48-hour window too."""
    return {"item": item, "time": describe(rnd), "place": row.town or "、".join(rnd.towns)}


def when_text(rnd: AssessmentRound) -> str:
    return describe(rnd) + (f"，{rnd.note}" if rnd.note else "")


def notify_round_changed(session: Session, rnd: AssessmentRound, before: dict) -> None:
    """Staff moved the day or changed the team: tell every booked resident once per edit."""
    lines = ["您预约的上门评残有变动："]
    if "date" in before:
        old = dt.date.fromisoformat(before["date"])
        lines.append(f"原来：{old.month}月{old.day}日")
        lines.append(f"现在：{when_text(rnd)}")
    else:
        lines.append(f"日期不变：{when_text(rnd)}")
    if "team" in before and rnd.team:
        lines.append(f"评定医生：{rnd.team}")
    for booking in _active(session, rnd.id):
        text = "\n".join(lines + [f"预约码：{booking.code}", "时间不合适，可以回复“改约”或“取消预约”。"])
        send(session, booking.openid, "booking_reminder", message_fields("上门评残时间有变动", rnd, booking),
             dedupe_key=f"booking:{booking.id}:round:{rnd.id}:v{rnd.version}", text=text,
             owed="上门评残时间有变动", ref=f"booking:{booking.id}")


def notify_round_cancelled(session: Session, rnd: AssessmentRound, bookings: list[Booking],
                           waiting: list[Waitlist]) -> None:
    reason = f"原因：{rnd.cancel_reason}\n" if rnd.cancel_reason else ""
    for booking in bookings:
        text = (f"很抱歉，{describe(rnd)}的上门评残取消了。\n{reason}"
                f"您的预约（预约码 {booking.code}）已作废。\n回复“预约评残”可以预约其他日期。")
        send(session, booking.openid, "booking_reminder", message_fields("上门评残已取消", rnd, booking),
             dedupe_key=f"booking:{booking.id}:round_cancelled", text=text,
             owed="上门评残场次取消", ref=f"booking:{booking.id}")
    for entry in waiting:
        send(session, entry.openid, "booking_reminder", message_fields("候补的上门评残已取消", rnd, entry),
             dedupe_key=f"waitlist:{entry.id}:round_cancelled",
             text=f"很抱歉，您候补的{describe(rnd)}上门评残取消了。\n回复“预约评残”可以预约其他日期。",
             owed="候补的上门评残场次取消", ref=f"waitlist:{entry.id}")


def _active(session: Session, round_id: int) -> list[Booking]:
    return list(session.scalars(select(Booking).where(Booking.round_id == round_id,
                                                      Booking.status == ACTIVE)))
