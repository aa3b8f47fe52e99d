"""Sign in, sign out and changing one's own password."""
from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash

from bot.admin import accounts, console_sessions
from bot.admin.auth import StaffUser, actor, now_utc
from bot.admin.blueprint import tx
from bot.admin.forms import LoginForm, PasswordForm
from bot.admin.models import Staff
from bot.privacy.audit import audit
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register

# One answer for every failure (unknown name, wrong password, blocked, disabled): no account discovery.
LOGIN_FAILED = "登录没有成功：用户名或密码不对，或尝试次数太多已暂停。请稍后再试，或请管理员协助。"


def _safe_next(target: str | None) -> str:
    """Only local console paths: an attacker's link must not bounce a fresh login elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/admin") and "\\" not in target:
            return target
    return url_for("admin.dashboard")


@ROUTES.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(form.next.data))
    status = 200
    if form.validate_on_submit():
        remote = request.remote_addr or ""
        with tx() as db:
            staff, _reason = accounts.authenticate(db, form.username.data, form.password.data, remote)
            token = console_sessions.start(db, staff, remote, now_utc()) if staff else None
            user = StaffUser.of(staff, token) if staff else None
        if user is not None:
            target = _safe_next(form.next.data)
            session.clear()  # a new session id for the signed-in state (no fixation)
            login_user(user)
            session["admin_seen"] = time.time()
            log.info("console login: %s", user.username)
            return redirect(target)
        flash(LOGIN_FAILED, "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("admin/login.html", form=form), status


@ROUTES.post("/logout")
def logout():
    if current_user.is_authenticated:
        with tx() as db:
            console_sessions.end(db, current_user.token)  # a copy of the cookie is worthless from now on
            audit(db, actor(), "staff.logout", actor())
    logout_user()
    session.clear()
    flash("已退出登录。", "info")
    return redirect(url_for("admin.login"))


@ROUTES.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    user = None
    if form.validate_on_submit():
        with tx() as db:
            staff = db.get(Staff, current_user.id)
            if not check_password_hash(staff.password_hash, form.current.data):
                form.current.errors.append("当前密码不对")
            else:
                try:
                    accounts.set_password(db, staff, form.password.data, actor())
                except accounts.AccountError as exc:
                    form.password.errors.append(str(exc))
                else:
                    user = StaffUser.of(staff, console_sessions.start(db, staff, request.remote_addr or "",
                                                                       now_utc()))
        if user is not None:
            login_user(user)  # the session version changed: keep this session, end the others
            flash("密码已修改。其他设备上的登录已失效。", "success")
            return redirect(url_for("admin.dashboard"))
    return render_template("admin/password.html", form=form)
