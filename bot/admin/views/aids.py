"""共享辅具 (/admin/aids): stations with stock, today's pick-ups, loans due and overdue, waitlists.

Viewers read; editors add stations, set stock and mark loans picked up / returned / damaged (audited
by bot.aids.service). Residents appear by masked name only.
"""
from __future__ import annotations

import datetime as dt

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, settings, tx
from bot.aids import service
from bot.aids.export import loan_sheet
from bot.aids.models import HOLDING, WAITING, AidLoan, AidStation, AidStock, AidWait
from bot.answers.towns import match_town
from bot.calls.tasks import settle
from bot.people import api as people
from bot.privacy.pii import mask_name
from bot.web_routes import Routes

ROUTES = Routes()  # this module's pages, added by admin.register

STATUS = {"reserved": "待取", "picked_up": "借出中", "returned": "已归还", "damaged": "已损坏", "expired": "过期未取",
          "cancelled": "已取消"}
MARKS = {"picked_up": "已取走", "returned": "已归还", "damaged": "已损坏"}
ERRORS = {"not_found": "没有这个借用码。", "not_active": "这个借用现在不能这样标记（可能已经处理过了）。",
          "bad_count": "数量不能少于已借出和已预约的数量。", "bad_status": "不认识的标记。"}


def _who(db, openid: str) -> str:
    person = people.registered_person(db, settings().data_key, openid) if openid != "-" else None
    return mask_name(person.name) if person is not None else "（已删除或未登记）"


@ROUTES.get("/aids")
@login_required
def aids_page():
    day = service.today()
    with reader() as db:
        stations = db.scalars(select(AidStation).order_by(AidStation.town, AidStation.id)).all()
        stock = {s.id: db.scalars(select(AidStock).where(AidStock.station_id == s.id)
                                  .order_by(AidStock.device)).all() for s in stations}
        names = {s.id: s.name for s in stations}
        loans = db.scalars(select(AidLoan).where(AidLoan.status.in_(HOLDING))
                           .order_by(AidLoan.pickup_by, AidLoan.due, AidLoan.id)).all()
        rows = [(loan, _who(db, loan.openid), names.get(loan.station_id, "")) for loan in loans]
        waits = [(w, _who(db, w.openid)) for w in db.scalars(select(AidWait).where(AidWait.status.in_(WAITING))
                                                             .order_by(AidWait.id))]
    soon = day + dt.timedelta(days=7)
    return render_template(
        "admin/aids.html", title="共享辅具", stations=stations, stock=stock, waits=waits, marks=MARKS,
        status=STATUS, devices=service.DEVICES, today=day,
        pickups=[r for r in rows if r[0].status == "reserved"],
        due=[r for r in rows if r[0].status == "picked_up" and day <= r[0].due <= soon],
        overdue=[r for r in rows if r[0].status == "picked_up" and r[0].due < day],
        lent=[r for r in rows if r[0].status == "picked_up" and r[0].due > soon])


def _back(message: str, kind: str = "success"):
    flash(message, kind)
    return redirect(url_for("admin.aids_page"))


@ROUTES.post("/aids/mark")
@require("editor")
def aids_mark():
    code, status = request.form.get("code", "").strip(), request.form.get("status", "")
    try:
        with tx() as db:
            loan = service.mark(db, code, status, actor())
            settle(db, settings().knowledge_dir)  # an offer to someone waiting WeChat cannot reach: call them
    except service.AidError as exc:
        return _back(ERRORS.get(exc.code, exc.code), "error")
    return _back(f"已登记：{loan.code} {loan.device}{MARKS[status]}。")


@ROUTES.post("/aids/station")
@require("editor")
def aids_station():
    town = match_town(settings().knowledge_dir, request.form.get("town", ""))
    name = request.form.get("name", "").strip()[:100]
    if town is None or not name:
        return _back("请填写乡镇（例如 鳌江镇）和驿站名称。", "error")
    with tx() as db:
        service.add_station(db, town, name, *(request.form.get(k, "").strip()[:100] or None
                                              for k in ("address", "hours", "phone")), actor=actor())
    return _back(f"已添加驿站：{name}。")


@ROUTES.post("/aids/stock")
@require("editor")
def aids_stock():
    form = request.form
    try:
        count, max_days = int(form.get("count", "")), int(form.get("max_days") or 90)
        if not form.get("device", "").strip() or count < 0 or not 0 < max_days <= 730:
            raise ValueError(form.get("device"))
        with tx() as db:
            service.set_stock(db, int(form.get("station", "0")), form.get("device", "").strip()[:16], count,
                              max_days, form.get("condition", "").strip()[:200], actor=actor())
    except ValueError:
        return _back("请选辅具种类，数量和天数请填数字（最长 730 天）。", "error")
    except service.AidError as exc:
        return _back(ERRORS.get(exc.code, exc.code), "error")
    return _back("库存已更新。")


@ROUTES.get("/aids/loans.xlsx")
@require("editor")  # names and phones in one file: an editor's right, not a viewer's
def aids_sheet():
    with tx() as db:
        data = loan_sheet(db, settings().data_key, actor())
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=aid-loans.xlsx"})
