"""Notices: compose, preview as residents see it, schedule or send, cancel, delivery report, quota."""
from __future__ import annotations

import datetime as dt
import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from bot.notices import service as notices
from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, settings, tx
from bot.privacy.audit import audit
from bot.outbox.config import load_config
from bot.db import parse_local_datetime, utcnow
from bot.outbox.models import Notice
from bot.answers.towns import towns
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register
STATUS_LABELS = {"draft": "草稿", "scheduled": "已安排", "sending": "发送中", "sent": "已发送", "failed": "失败",
                 "cancelled": "已取消"}
OUTBOX_LABELS = {"pending": "待发送", "claimed": "准备发送", "sending": "发送中", "sent": "已发送", "failed": "失败",
                 "unknown": "不确定是否送达", "cancelled": "已取消"}


def audience_choices() -> list[tuple[str, str]]:
    return ([("all", "全部关注者"), ("registered", "已注册的居民"),
             ("subscribers", "订阅岗位的居民")] + [(f"town:{t}", f"{t}的关注者") for t in towns(settings().knowledge_dir)])


def audience_label(value: str) -> str:
    if value.startswith("round:"):
        return f"评残场次 {value[6:]} 的预约居民"
    return dict(audience_choices()).get(value, value)


def _now() -> dt.datetime:
    """The console's clock (tests set app.config["CLOCK"] to move it instead of sleeping)."""
    return (current_app.config.get("CLOCK") or utcnow)()


def _local(value: str | None) -> dt.datetime | None:
    """An <input type=datetime-local> value, read as Pingyang time."""
    if not value:
        return None
    try:
        return parse_local_datetime(value)
    except ValueError:
        return None


@ROUTES.get("/notices")
@login_required
def notices_list():
    now = _now()
    with reader() as db:
        rows = list(db.scalars(select(Notice).order_by(Notice.id.desc()).limit(200)))
        quota = notices.quota_summary(db, settings().knowledge_dir, now)
        timings = {n.id: notices.timing(n, now, db) for n in rows if n.status in ("scheduled", "sending")}
    return render_template("admin/notices.html", title="通知", rows=rows, quota=quota, labels=STATUS_LABELS,
                           audience_label=audience_label, timing=lambda n: timings.get(n.id))


@ROUTES.route("/notices/new", methods=["GET", "POST"])
@require("editor")
def notices_new():
    form = request.form
    values = {k: (form.get(k) or "").strip() for k in ("title", "body", "audience", "event_at", "place", "link",
                                                         "when", "scheduled_at")}
    values["audience"] = values["audience"] or "all"
    values["when"] = values["when"] or "later"
    values["urgent"] = bool(form.get("urgent"))
    preview, errors, plan, now = None, [], None, _now()
    if request.method == "POST":
        event_at, scheduled_at = _local(values["event_at"]), _local(values["scheduled_at"])
        draft = Notice(title=values["title"], body=values["body"], audience=values["audience"], event_at=event_at,
                       place=values["place"] or None, link=values["link"] or None, urgent=values["urgent"],
                       status="scheduled")
        errors = notices.validate(draft)
        if values["when"] == "later" and scheduled_at is None:
            errors.append("请填写发送时间，或选择“马上发送”/“存为草稿”")
        if form.get("action") == "preview" or errors:
            preview = notices.compose_text(draft) if not notices.validate(draft) else None
            if values["when"] != "draft" and not errors:
                with reader() as db:  # when it would go, before staff save it (quiet hours, quota)
                    notices.plan_send(db, draft, scheduled_at if values["when"] == "later" else None, now,
                                      load_config(settings().knowledge_dir))
                plan = notices.timing(draft, now)
        else:
            try:
                with tx() as db:
                    notice = notices.create(db, title=values["title"], body=values["body"],
                                            audience=values["audience"], event_at=event_at, place=values["place"],
                                            link=values["link"], created_by=actor(), draft=values["when"] == "draft",
                                            scheduled_at=scheduled_at if values["when"] == "later" else None,
                                            urgent=values["urgent"], knowledge_dir=settings().knowledge_dir, now=now)
                    audit(db, actor(), "notice.create", f"notice:{notice.id}", audience=notice.audience,
                          status=notice.status, urgent=notice.urgent,
                          at=notice.scheduled_at.isoformat() if notice.scheduled_at else "")
                    notice_id, when = notice.id, notices.timing(notice, now)
            except notices.NoticeError as exc:
                errors = exc.errors
            else:
                kind = {"later": "已安排定时发送。", "now": "已安排发送。"}.get(values["when"], "已存为草稿。")
                flash(kind + (f"{when}。" if when else ""), "success")
                return redirect(url_for("admin.notices_detail", notice_id=notice_id))
    with reader() as db:
        quota = notices.quota_summary(db, settings().knowledge_dir, now)
    return render_template("admin/notice_new.html", title="写通知", values=values, errors=errors, preview=preview,
                           audiences=audience_choices(), quota=quota, plan=plan)


@ROUTES.get("/notices/<int:notice_id>")
@login_required
def notices_detail(notice_id: int):
    now = _now()
    with reader() as db:
        try:
            info = notices.report(db, notice_id, settings().knowledge_dir, now)
        except KeyError:
            abort(404)
        notice = db.get(Notice, notice_id)
        quota = notices.quota_summary(db, settings().knowledge_dir, now)
    return render_template("admin/notice_detail.html", title=f"通知：{info['title']}", info=info, notice=notice,
                           labels=STATUS_LABELS, outbox_labels=OUTBOX_LABELS, audience_label=audience_label,
                           quota=quota)


@ROUTES.post("/notices/<int:notice_id>/schedule")
@require("editor")
def notices_schedule(notice_id: int):
    at, now = _local(request.form.get("scheduled_at")), _now()
    try:
        with tx() as db:
            notice = notices.schedule(db, notice_id, at, urgent=bool(request.form.get("urgent")),
                                      knowledge_dir=settings().knowledge_dir, now=now)
            audit(db, actor(), "notice.schedule", f"notice:{notice_id}", at=notice.scheduled_at.isoformat(),
                  urgent=notice.urgent)
            when = notices.timing(notice, now)
    except notices.NoticeError as exc:
        flash("；".join(exc.errors), "error")
    else:
        flash(f"已安排发送。{when}。", "success")
    return redirect(url_for("admin.notices_detail", notice_id=notice_id))


@ROUTES.post("/notices/<int:notice_id>/cancel")
@require("editor")
def notices_cancel(notice_id: int):
    with tx() as db:
        cancelled = notices.cancel(db, notice_id)
        if cancelled:
            audit(db, actor(), "notice.cancel", f"notice:{notice_id}")
    flash("已取消，不会发出。" if cancelled else "取消不了：微信已经收到（或已发完）。", "success" if cancelled else "error")
    return redirect(url_for("admin.notices_detail", notice_id=notice_id))
