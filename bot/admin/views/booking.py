"""Assessment rounds and bookings: fill per round, filters, route sheet, visit outcomes."""
from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, settings, tx
from bot.booking import export, rounds, staff
from bot.booking.models import AssessmentRound
from bot.booking.service import BookingError
from bot.calls import outlook, tasks as calls
from bot.db import local_now
from bot.answers.towns import towns
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register
MARK_LABELS = {"visited": "已上门", "not_home": "不在家", "cancelled": "取消预约"}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@ROUTES.get("/rounds")
@login_required
def rounds_list():
    town = request.args.get("town") or ""
    start, end = _date(request.args.get("from")), _date(request.args.get("to"))
    status = request.args.get("status") or ""
    with reader() as db:
        items = rounds.list_rounds(db, include_past=bool(start) or request.args.get("past") == "1")
    items = [r for r in items if (not town or town in (r.towns or [])) and (not start or r.date >= start)
             and (not end or r.date <= end) and (not status or r.status == status)]
    return render_template("admin/rounds.html", title="评残预约", rounds=items, town=town, start=start, end=end,
                           status=status, towns=towns(settings().knowledge_dir), categories=rounds.CATEGORIES,
                           describe=rounds.describe, today=local_now().date())


@ROUTES.post("/rounds/new")
@require("editor")
def rounds_create():
    form = request.form
    try:
        capacity = int(form.get("capacity") or 0)
        day = _date(form.get("date"))
        if day is None:
            raise rounds.RoundError("请填写日期")
        with tx() as db:
            rnd = rounds.create_round(db, date=day, towns=form.getlist("towns"), capacity=capacity, actor=actor(),
                                      team=(form.get("team") or "").strip() or None,
                                      categories=[int(c) for c in form.getlist("categories")],
                                      note=(form.get("note") or "").strip() or None)
            label = rounds.describe(rnd)
    except (rounds.RoundError, ValueError) as exc:
        flash(f"没有新建：{exc if isinstance(exc, rounds.RoundError) else '名额要填数字'}", "error")
        return redirect(url_for("admin.rounds_list"))
    flash(f"已新建 {label} 的评残场次，居民现在可以预约。", "success")
    return redirect(url_for("admin.rounds_list"))


@ROUTES.get("/rounds/<int:round_id>")
@login_required
def rounds_detail(round_id: int):
    status = request.args.get("status") or None
    town = request.args.get("town") or None
    search = (request.args.get("q") or "").strip() or None
    with tx() as db:  # listing personal data writes an audit row
        rnd = db.get(AssessmentRound, round_id) or abort(404)
        rows = staff.list_bookings(db, settings().data_key, round_id, actor(), status=status, town=town,
                                   search=search)
        told = outlook.for_refs(db, [f"booking:{r['id']}" for r in rows])
    for r in rows:
        r["delivery"] = told.get(f"booking:{r['id']}")
    return render_template("admin/round_detail.html", title=f"评残场次 {rounds.describe(rnd)}", rnd=rnd, rows=rows,
                           status=status or "", town=town or "", q=search or "", labels=staff.STATUS_LABELS,
                           marks=MARK_LABELS, describe=rounds.describe, categories=rounds.CATEGORIES)


@ROUTES.post("/rounds/<int:round_id>/bookings/<int:booking_id>/mark")
@require("editor")
def bookings_mark(round_id: int, booking_id: int):
    status = request.form.get("status", "")
    reason = (request.form.get("reason") or "").strip() or None
    if status not in MARK_LABELS:
        abort(400)
    try:
        with tx() as db:
            booking = staff.mark_booking(db, booking_id, status, actor(), reason=reason)
            if booking.round_id != round_id:
                raise BookingError("not_found")
            code = booking.code
            calls.settle(db, settings().knowledge_dir)
            told = outlook.for_refs(db, [f"booking:{booking.id}"]).get(f"booking:{booking.id}")
    except ValueError:
        flash("取消预约要写原因。", "error")
    except BookingError as exc:
        flash(f"没有改：{ {'not_found': '没有这条预约', 'not_active': '这条预约已取消，不能再标记'}.get(exc.code, exc.code)}",
              "error")
    else:
        tail = f"给居民的通知：{told.label}。" if status == "cancelled" and told else ""
        flash(f"预约 {code} 已标记为“{MARK_LABELS[status]}”。{tail}", "success")
    return redirect(url_for("admin.rounds_detail", round_id=round_id, **{k: v for k, v in request.args.items()}))


@ROUTES.post("/rounds/<int:round_id>/cancel")
@require("editor")
def rounds_cancel(round_id: int):
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash("取消场次要写原因，会发给已预约的居民。", "error")
        return redirect(url_for("admin.rounds_detail", round_id=round_id))
    try:
        with tx() as db:
            rounds.cancel_round(db, round_id, actor(), reason)
            calls.settle(db, settings().knowledge_dir)
            told = outlook.for_refs(db, staff.notice_refs(db, round_id, ("round_cancelled",))).values()
    except rounds.RoundError as exc:
        flash(str(exc), "error")
    else:
        # Truthful: a message only queued is not "told", and one WeChat cannot deliver needs a call.
        calls_hint = "需电话通知的居民已列入“电话任务”。" if outlook.counts(told)[outlook.CALL] else ""
        flash(f"场次已取消。给预约居民的通知：{outlook.summary(told)}。{calls_hint}", "success")
    return redirect(url_for("admin.rounds_detail", round_id=round_id))


@ROUTES.get("/rounds/<int:round_id>/sheet.xlsx")
@require("editor")  # names, phones and addresses in one file: an editor's or admin's right, not a viewer's
def rounds_sheet(round_id: int):
    with tx() as db:
        rnd = db.get(AssessmentRound, round_id) or abort(404)
        data, name = export.route_sheet(db, settings().data_key, round_id, actor()), export.filename(rnd)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=route-{round_id}.xlsx; "
                                                    f"filename*=UTF-8''{quote(name)}"})
