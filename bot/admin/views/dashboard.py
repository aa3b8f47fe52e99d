"""The dashboard: open call tasks first, then today's messages, how questions were answered, a chart, bookings and deliveries."""
from __future__ import annotations

import datetime as dt
import logging

from flask import redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import func, select

from bot.admin import stats
from bot.admin.blueprint import reader, settings
from bot.booking import rounds, staff
from bot.booking.models import Booking
from bot.calls.tasks import open_count
from bot.db import local_now
from bot.entitle.counts import last_days
from bot.notices import service as notices
from bot.outbox.models import Notice
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register



def booking_week(session, today: dt.date) -> dict | None:
    """This week's (Mon–Sun) assessment rounds: places booked and visit outcomes so far."""
    monday = today - dt.timedelta(days=today.weekday())
    week = [r for r in rounds.list_rounds(session, include_past=True)
            if monday <= r.date <= monday + dt.timedelta(days=6) and r.status == "open"]
    summary = {"本周场次": len(week), "已约 / 名额": f"{sum(r.booked for r in week)}/{sum(r.capacity for r in week)}"}
    if week:
        for status, n in session.execute(select(Booking.status, func.count()).where(
                Booking.round_id.in_([r.id for r in week])).group_by(Booking.status)):
            summary[staff.STATUS_LABELS.get(status, status)] = n
    return summary


def notices_summary(session, knowledge_dir: str) -> dict | None:
    counts = dict(session.execute(select(Notice.status, func.count()).group_by(Notice.status)).all())
    return {"待发送的通知": counts.get("scheduled", 0) + counts.get("sending", 0),
            "草稿": counts.get("draft", 0), "发送失败": counts.get("failed", 0),
            "今天还能群发（次）": notices.remaining_mass_quota(session, knowledge_dir)}


@ROUTES.get("/")
def index():
    return redirect(url_for("admin.dashboard"))


def open_calls(session) -> int | None:
    """Residents an owed message did not reach: the first thing staff must see."""
    return open_count(session)


@ROUTES.get("/dashboard")
@login_required
def dashboard():
    today = local_now().date()
    with reader() as db:
        calls = _safely(open_calls, db)
        days = stats.per_day(db, 14)
        today_kinds = stats.kinds_since(db, stats.day_start(today))
        week_kinds = stats.kinds_since(db, stats.day_start(today - dt.timedelta(days=6)))
        unanswered = stats.unanswered(db, days=7, limit=5)
        outbox = stats.outbox_summary(db, 7)
        booking = _safely(booking_week, db, today)
        notices = _safely(notices_summary, db, settings().knowledge_dir)
        entitle = _safely(entitle_shown, db, settings().knowledge_dir, today)
    return render_template("admin/dashboard.html", title="概况", days=days, chart=bar_chart(days),
                           today_total=days[-1][1], today_rates=stats.rates(today_kinds),
                           week_rates=stats.rates(week_kinds), unanswered=unanswered, outbox=outbox,
                           booking=booking, notices=notices, calls=calls, entitle=entitle)


def entitle_shown(session, knowledge_dir: str, today: dt.date):
    return last_days(session, knowledge_dir, today)


def _safely(fn, *args):
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - a broken panel must not take the whole dashboard down
        log.exception("dashboard panel %s failed", fn.__name__)
        return None


def bar_chart(days: list[tuple[dt.date, int]], width: int = 640, height: int = 220) -> dict:
    """Geometry for an SVG bar chart (drawn by the template; no script, no library)."""
    top = max([n for _, n in days] + [1])
    left, bottom, gap = 44, 32, 6
    plot_w, plot_h = width - left - 8, height - bottom - 12
    bar_w = plot_w / len(days) - gap
    bars = []
    for i, (day, n) in enumerate(days):
        h = 0 if n == 0 else max(2.0, plot_h * n / top)
        x = left + i * (bar_w + gap) + gap / 2
        bars.append({"x": round(x, 1), "y": round(12 + plot_h - h, 1), "w": round(bar_w, 1), "h": round(h, 1),
                     "n": n, "label": f"{day.month}/{day.day}", "cx": round(x + bar_w / 2, 1)})
    return {"width": width, "height": height, "bars": bars, "top": top, "left": left,
            "base": 12 + plot_h, "right": width - 8}
