"""Plugs booking into the scheduler, the notice audiences and “删除我的信息” (its call tasks too).

Imported by handlers/booking.py (the scheduler and the web app import every handler module). Each
registration replaces an earlier one with the same name, so importing twice is harmless.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from bot.booking.models import ACTIVE, Booking
from bot.booking.reminders import mark_missed, send_reminders
from bot.booking.service import forget_resident
from bot.calls.tasks import forget as forget_calls
from bot.audiences import register_audience_provider
from bot.privacy import register_forgetter
from bot.scheduler import register_tick

log = logging.getLogger(__name__)
REMINDER_TICK_SECONDS = 300
MISSED_TICK_SECONDS = 3600


def round_audience(session, round_id: str) -> list[str]:
    """Notice audience "round:ID": the residents with an active booking in that round."""
    if not str(round_id).strip().isdigit():
        return []
    return list(session.scalars(select(Booking.openid).where(Booking.round_id == int(round_id),
                                                             Booking.status == ACTIVE)))


def install() -> None:
    register_tick("booking.reminders", lambda rt: send_reminders(rt.sessions, rt.settings),
                  seconds=REMINDER_TICK_SECONDS)
    register_tick("booking.mark_missed", lambda rt: mark_missed(rt.sessions), seconds=MISSED_TICK_SECONDS)
    register_forgetter("上门评残预约记录（进行中的预约已取消）", forget_resident)
    register_forgetter("待打的通知电话", forget_calls)  # call tasks are mostly about bookings
    register_audience_provider("round", round_audience)
