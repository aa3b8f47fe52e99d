"""Call tasks (/admin/calls): residents an owed message could not reach; staff phone and record it.

Names are masked in the list; the whole phone number is shown only to editors and admins, on a
task's own page, and each such view is written to the audit log.
"""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, settings, tx
from bot.privacy.audit import audit
from bot.calls import tasks
from bot.calls.contact import contact
from bot.calls.models import DONE, OPEN, STATUS_LABELS, UNREACHABLE, CallTask
from bot.privacy.pii import mask_name, mask_phone
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register
PAGE_SIZE = 200


@ROUTES.get("/calls")
@login_required
def calls_list():
    status = request.args.get("status", OPEN)
    query = select(CallTask).order_by(CallTask.created_at.desc(), CallTask.id.desc()).limit(PAGE_SIZE)
    if status in STATUS_LABELS:
        query = query.where(CallTask.status == status)
    key = settings().data_key
    with reader() as db:
        items = [(t, mask_name(contact(db, key, t)[0]) or "（未登记姓名）") for t in db.scalars(query)]
        open_n = tasks.open_count(db)
    return render_template("admin/calls.html", title="电话任务", items=items, status=status,
                           labels=STATUS_LABELS, open_n=open_n)


@ROUTES.get("/calls/<int:task_id>")
@login_required
def calls_detail(task_id: int):
    full = current_user.can("editor")
    with tx() as db:  # showing the phone writes an audit row
        task = db.get(CallTask, task_id) or abort(404)
        name, phone = contact(db, settings().data_key, task)
        if full and phone:
            audit(db, actor(), "call.phone_view", f"call:{task.id}", ref=task.ref)
    return render_template("admin/call_detail.html", title="电话任务", task=task, name=mask_name(name),
                           phone=phone if full else mask_phone(phone), full=full, labels=STATUS_LABELS)


@ROUTES.post("/calls/<int:task_id>/close")
@require("editor")
def calls_close(task_id: int):
    status = request.form.get("status", "")
    if status not in (DONE, UNREACHABLE):
        abort(400)
    try:
        with tx() as db:
            tasks.close(db, task_id, status, actor(), request.form.get("note"))
    except LookupError:
        abort(404)
    flash(f"已记录：{STATUS_LABELS[status]}。", "success")
    return redirect(url_for("admin.calls_list"))
