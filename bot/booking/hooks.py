"""What booking adds to the scheduler, the notice audiences and “删除我的信息” (its call tasks too).

Declared data: handlers/booking.py puts it into its FEATURE; nothing here registers itself.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from bot.booking.models import ACTIVE, Booking
from bot.booking.reminders import mark_missed, send_reminders
from bot.booking.service import forget_resident
from bot.calls.tasks import forget as forget_calls
from bot.engine.features import Tick

log = logging.getLogger(__name__)
REMINDER_TICK_SECONDS = 300
MISSED_TICK_SECONDS = 3600


def round_audience(session, round_id: str) -> list[str]:
    """Notice audience "round:ID": the residents with an active booking in that round."""
    if not str(round_id).strip().isdigit():
        return []
    return list(session.scalars(select(Booking.openid).where(Booking.round_id == int(round_id),
                                                             Booking.status == ACTIVE)))


TICKS = (
    Tick("booking.reminders", lambda rt: send_reminders(rt.sessions, rt.settings), REMINDER_TICK_SECONDS),
    Tick("booking.mark_missed", lambda rt: mark_missed(rt.sessions), MISSED_TICK_SECONDS),
)
FORGETTERS = (
    ("上门评残预约记录（进行中的预约已取消）", forget_resident),
    ("待打的通知电话", forget_calls),  # call tasks are mostly about bookings
)
AUDIENCES = {"round": round_audience}
