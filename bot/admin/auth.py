"""Console sign-in: Flask-Login user loading, idle timeout, roles, CSRF on every console POST."""
from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from bot.admin.models import ROLE_LABELS, Staff
from bot.config import DEMO

log = logging.getLogger(__name__)

RANK = {"viewer": 1, "editor": 2, "admin": 3}
IDLE_MINUTES = 30  # default for ADMIN_IDLE_MINUTES: a console left open on a shared PC signs out
# The app's body limit is sized for WeChat callbacks (64 KB); spreadsheet uploads need more.
UPLOAD_ENDPOINTS = {"admin.jobs_import", "admin.people_import"}
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = "请先登录。"
login_manager.session_protection = "strong"


@dataclass
class StaffUser(UserMixin):
    """The signed-in account as Flask-Login sees it (a plain copy, not a live ORM row)."""

    id: int
    username: str
    role: str
    version: int
    display_name: str = ""

    def get_id(self) -> str:
        # The version makes old session cookies invalid after a password reset or role change.
        return f"{self.id}:{self.version}"

    def can(self, role: str) -> bool:
        return RANK.get(self.role, 0) >= RANK[role]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @classmethod
    def of(cls, staff: Staff) -> "StaffUser":
        return cls(staff.id, staff.username, staff.role, staff.session_version, staff.display_name or "")


@login_manager.user_loader
def load_user(user_id: str):
    try:
        staff_id, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    services = current_app.extensions["wxbot"]
    with services.sessions() as db:
        staff = db.get(Staff, staff_id)
        if staff is None or not staff.active or staff.session_version != version:
            return None
        return StaffUser.of(staff)


@login_manager.unauthorized_handler
def unauthorized():
    if request.method != "GET":
        abort(401)  # a form posted after the session ended: do not silently drop it on a redirect
    return redirect(url_for("admin.login", next=request.full_path if request.query_string else request.path))


def init_app(app) -> None:
    # CSRF is checked only for the console (below): /wechat, the simulator and the bearer-token API
    # are not browser-form endpoints.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.config.setdefault("ADMIN_IDLE_MINUTES", IDLE_MINUTES)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    # Behind HTTPS (production) set SESSION_COOKIE_SECURE=1 so the cookie never travels in clear.
    app.config.setdefault("SESSION_COOKIE_SECURE", os.environ.get("SESSION_COOKIE_SECURE", "") in ("1", "true"))
    if app.config["SECRET_KEY"] == DEMO["SECRET_KEY"] and not app.config["SETTINGS"].simulator_enabled:
        log.warning("SECRET_KEY is the demo value: console sessions can be forged; set SECRET_KEY")
    csrf.init_app(app)
    login_manager.init_app(app)


def before_console_request():
    """Runs before every /admin request: CSRF for state changes, then the idle timeout."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_MAX_BYTES  # before anything reads the form
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if request.endpoint in ("admin.login", "admin.static"):
        return None
    now = time.time()
    seen = session.get("admin_seen")
    idle = current_app.config["ADMIN_IDLE_MINUTES"] * 60
    if current_user.is_authenticated and seen is not None and now - seen > idle:
        log.info("console session of %s timed out", current_user.username)
        logout_user()
        session.clear()
        flash("长时间未操作，已自动退出，请重新登录。", "info")
        if request.method != "GET":
            abort(401)
        return redirect(url_for("admin.login", next=request.path))
    if current_user.is_authenticated:
        session["admin_seen"] = now
        return None
    return current_app.login_manager.unauthorized()


def require(role: str):
    """View decorator: the signed-in account needs at least this role, else 403."""
    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.can(role):
                log.info("%s (%s) refused %s %s", current_user.username, current_user.role,
                         request.method, request.path)
                abort(403)
            return view(*args, **kwargs)
        return inner
    return wrap


def actor() -> str:
    return current_user.username if current_user.is_authenticated else "anonymous"
