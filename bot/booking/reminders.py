"""Notices to booked residents (reminder, round changed or cancelled, waitlist offer) and the ticks.

Ticks are plain functions the scheduler registers: `send_reminders(sessions, settings, now)` and
`mark_missed(sessions, now)`. Both are idempotent: a reminder's dedupe key names the booking and the
visit day, and `reminded_for` records it, so a restarted scheduler or a doubled tick sends nothing new.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.booking.models import ACTIVE, AssessmentRound, Booking, Waitlist
from bot.booking.notify import send
from bot.booking.rounds import cancel_deadline, describe, message_fields, when_text
from bot.calls.tasks import settle
from bot.db import LOCAL_TZ, utcnow
from bot.privacy.audit import audit

log = logging.getLogger(__name__)
REMINDER_HOUR = 9  # local time: no reminders in the night even if the tick runs then
BRING = "请准备好身份证、户口本、照片，以及病历、诊断证明、检查报告，评定时给医生看。"


def send_reminders(sessions, settings=None, now: dt.datetime | None = None) -> int:
    """The day before the visit (from REMINDER_HOUR local), one reminder per booking and visit day."""
    now = now or utcnow()
    local = now.astimezone(LOCAL_TZ)
    if local.hour < REMINDER_HOUR:
        return 0
    tomorrow = local.date() + dt.timedelta(days=1)
    count = 0
    with sessions.begin() as session:
        rows = session.execute(select(Booking, AssessmentRound).join(
            AssessmentRound, AssessmentRound.id == Booking.round_id).where(
            Booking.status == ACTIVE, AssessmentRound.status == "open", AssessmentRound.date == tomorrow,
            or_(Booking.reminded_for.is_(None), Booking.reminded_for != tomorrow))).all()
        for booking, rnd in rows:
            late = now >= cancel_deadline(rnd)
            text = (f"上门评残提醒：明天 {when_text(rnd)}，评定医生会上门。\n"
                    f"预约码：{booking.code}\n{BRING}\n"
                    + ("有变化请尽快打电话告诉县残联，或回复 0 转人工。" if late
                       else "时间不合适，可以回复“改约”或“取消预约”。"))
            send(session, booking.openid, "booking_reminder", message_fields("上门评残（明天）", rnd, booking),
                 dedupe_key=f"booking:{booking.id}:remind:{tomorrow.isoformat()}", text=text,
                 owed="上门评残明天上门提醒", ref=f"booking:{booking.id}")
            booking.reminded_for = tomorrow
            count += 1
        if settings is not None and count:
            settle(session, settings.knowledge_dir, now)  # unreachable residents: a call task today
    if count:
        log.info("queued %s visit reminders for %s", count, tomorrow)
    return count


def mark_missed(sessions, now: dt.datetime | None = None) -> int:
    """Bookings still 'booked' after their visit day become 'missed' (staff did not mark them)."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    with sessions.begin() as session:
        rows = session.scalars(select(Booking).join(AssessmentRound, AssessmentRound.id == Booking.round_id)
                               .where(Booking.status == ACTIVE, AssessmentRound.date < today)).all()
        for booking in rows:
            booking.status, booking.status_reason = "missed", "到期未登记结果"
            booking.marked_by, booking.marked_at = "system", now
        if rows:
            audit(session, "system", "booking.mark_missed", None, bookings=[b.id for b in rows])
    if rows:
        log.info("marked %s past bookings as missed", len(rows))
    return len(rows)


def notify_booked(session: Session, booking: Booking, rnd: AssessmentRound) -> None:
    """A service notice of the booking (a template message when configured, so it stays in the
    resident's service-notice list)."""
    send(session, booking.openid, "booking_confirm", message_fields("上门评残", rnd, booking),
         dedupe_key=f"booking:{booking.id}:confirm", text=f"上门评残预约成功：{when_text(rnd)}，预约码 {booking.code}。")


def notify_waitlist_offer(session: Session, entry: Waitlist, rnd: AssessmentRound) -> None:
    text = (f"您候补的 {when_text(rnd)} 上门评残有空位了。\n"
            "名额先确认先得。\n要预约，请回复“候补确认”。")
    stamp = int(entry.offered_at.timestamp()) if entry.offered_at else 0
    send(session, entry.openid, "booking_reminder", message_fields("上门评残有空位了", rnd, entry),
         dedupe_key=f"waitlist:{entry.id}:offer:{stamp}", text=text,
         owed="候补的上门评残有空位", ref=f"waitlist:{entry.id}")


def notify_booking_cancelled(session: Session, booking: Booking, rnd: AssessmentRound, reason: str | None) -> None:
    """Staff cancelled one booking (the resident did not ask): the resident must hear why."""
    why = f"原因：{reason}\n" if reason else ""
    text = (f"很抱歉，您 {describe(rnd)} 的上门评残预约（预约码 {booking.code}）已被县残联取消。\n{why}"
            "有疑问请回复 0 转人工。\n回复“预约评残”可以预约其他日期。")
    send(session, booking.openid, "booking_reminder", message_fields("上门评残预约已取消", rnd, booking),
         dedupe_key=f"booking:{booking.id}:staff_cancelled", text=text,
         owed="上门评残预约被取消", ref=f"booking:{booking.id}")
