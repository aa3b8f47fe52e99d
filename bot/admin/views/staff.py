"""Staff accounts (admin only) and the audit log."""
from __future__ import annotations

import logging
import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select

from bot.admin import accounts, accounts as acc, audit_text, settings_summary
from bot.admin.auth import UPLOAD_MAX_BYTES, actor, current_user, require
from bot.admin.blueprint import reader, services, settings, tx
from bot.admin.forms import ResetPasswordForm, RoleForm, StaffForm
from bot.admin.models import ROLE_LABELS, Staff
from bot.models import AuditLog
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register
PAGE_SIZE = 50


@ROUTES.route("/staff", methods=["GET", "POST"])
@require("admin")
def staff_list():
    form = StaffForm()
    if form.validate_on_submit():
        try:
            with tx() as db:
                accounts.create(db, form.username.data, form.password.data, form.role.data, actor(),
                                form.display_name.data)
        except accounts.AccountError as exc:
            (form.username if "用户名" in str(exc) else form.password).errors.append(str(exc))
        else:
            flash(f"已新建账号 {form.username.data.strip()}（{ROLE_LABELS[form.role.data]}）。", "success")
            return redirect(url_for("admin.staff_list"))
    with reader() as db:
        people = list(db.scalars(select(Staff).order_by(Staff.username)))
    return render_template("admin/staff_list.html", title="账号", people=people, form=form,
                           roles=ROLE_LABELS, is_locked=accounts.is_locked)


@ROUTES.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@require("admin")
def staff_detail(staff_id: int):
    role_form, reset_form = RoleForm(prefix="role"), ResetPasswordForm(prefix="reset")
    op = request.form.get("op")
    if request.method == "POST":
        try:
            with tx() as db:
                staff = db.get(Staff, staff_id) or abort(404)
                if op == "role" and role_form.validate_on_submit():
                    accounts.set_role(db, staff, role_form.role.data, actor())
                    flash(f"{staff.username} 的角色改为{ROLE_LABELS[staff.role]}。", "success")
                elif op == "reset" and reset_form.validate_on_submit():
                    accounts.set_password(db, staff, reset_form.password.data, actor())
                    flash(f"已重设 {staff.username} 的密码，请当面或电话告诉本人，并请他登录后自己改掉。", "success")
                elif op == "unlock":
                    accounts.unlock(db, staff, actor())
                    flash(f"已解锁 {staff.username}。", "success")
                elif op in ("disable", "enable"):
                    if staff.id == current_user.id and op == "disable":
                        raise accounts.AccountError("不能停用自己的账号")
                    accounts.set_active(db, staff, op == "enable", actor())
                    flash(f"已{'启用' if op == 'enable' else '停用'} {staff.username}。", "success")
                else:
                    raise accounts.AccountError("表单没有填好")
        except accounts.AccountError as exc:
            flash(f"没有改：{exc}", "error")
        else:
            return redirect(url_for("admin.staff_detail", staff_id=staff_id))
    with reader() as db:
        staff = db.get(Staff, staff_id) or abort(404)
        recent = list(db.scalars(select(AuditLog).where(AuditLog.actor == staff.username)
                                 .order_by(AuditLog.id.desc()).limit(20)))
    role_form.role.data = role_form.role.data or staff.role
    return render_template("admin/staff_detail.html", title=f"账号：{staff.username}", staff=staff,
                           role_form=role_form, reset_form=reset_form, recent=recent, roles=ROLE_LABELS,
                           locked=accounts.is_locked(staff))


@ROUTES.get("/audit")
@require("admin")
def audit_log():
    who = (request.args.get("actor") or "").strip()
    action = (request.args.get("action") or "").strip()
    page = max(1, request.args.get("page", 1, type=int))
    query = select(AuditLog)
    if who:
        query = query.where(AuditLog.actor == who)
    if action:
        query = query.where(AuditLog.action.like(f"{action}%"))
    with reader() as db:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(db.scalars(query.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        actions = sorted(a for a in db.scalars(select(AuditLog.action).distinct()) if a)
        # Sentences, not codes: display names of accounts and the rounds' towns and dates, one query each.
        names = {u: d for u, d in db.execute(select(Staff.username, Staff.display_name)) if d}
        rounds = audit_text.round_names(db, audit_text.referenced_rounds(rows))
    labels = audit_text._labels()
    entries = [{"row": r, "who": audit_text.who(r.actor, names),
                "what": audit_text.sentence(r, names, rounds, labels)} for r in rows]
    choices = [(a, audit_text.action_name(a)) for a in actions]
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("admin/audit.html", title="操作日志", entries=entries, who=who, action=action,
                           page=page, pages=pages, total=total, actions=choices)


@ROUTES.get("/settings")
@login_required
def settings_page():
    """What matters to staff (templates, quotas, unfilled facts); the environment only for admins."""
    current = settings()
    # describe() shortens keys and tokens; passwords inside DATABASE_URL / REDIS_URL are hidden here.
    lines = [[name, re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", value)]
             for name, value in (line.strip().split("=", 1) for line in current.describe().splitlines())]
    policy = {"连续输错几次锁定": acc.LOCK_AFTER, "锁定分钟数": acc.LOCK_MINUTES, "密码最短位数": acc.MIN_PASSWORD,
              "多少分钟不操作自动退出": current_app.config["ADMIN_IDLE_MINUTES"],
              "上传文件上限（MB）": UPLOAD_MAX_BYTES // (1024 * 1024),
              "会话 Cookie 仅限 HTTPS": "是" if current_app.config.get("SESSION_COOKIE_SECURE") else "否"}
    unfilled = len(services().local_facts().unfilled())
    with reader() as db:
        quotas = settings_summary.quotas(db, current.knowledge_dir)
    return render_template("admin/settings.html", title="系统设置", policy=policy, unfilled=unfilled,
                           lines=lines if current_user.role == "admin" else [], quotas=quotas,
                           templates=settings_summary.templates(current.knowledge_dir))
