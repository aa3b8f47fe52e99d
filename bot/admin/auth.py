"""Console sign-in: Flask-Login user loading, idle timeout, roles, CSRF on every console POST."""
from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.admin import console_sessions
from bot.admin.models import ROLE_LABELS, Staff

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
    token: str  # names the server-side session row (bot/admin/console_sessions.py)
    display_name: str = ""

    def get_id(self) -> str:
        return f"{self.id}:{self.token}"

    def can(self, role: str) -> bool:
        return RANK.get(self.role, 0) >= RANK[role]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @classmethod
    def of(cls, staff: Staff, token: str) -> "StaffUser":
        return cls(staff.id, staff.username, staff.role, token, staff.display_name or "")


def now_utc() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), dt.timezone.utc)


def idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["ADMIN_IDLE_MINUTES"])


@login_manager.user_loader
def load_user(user_id: str):
    """Only a live server-side session: a cookie copied before logout or a password change is refused."""
    staff_id, _, token = user_id.partition(":")
    if not staff_id.isdigit() or not token:
        return None
    services = current_app.extensions["wxbot"]
    with services.sessions.begin() as db:
        staff = console_sessions.resume(db, int(staff_id), token, idle_limit(), now_utc())
        return StaffUser.of(staff, token) if staff is not None else None


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
    settings = app.config["SETTINGS"]
    # Assigned, not setdefault: Flask already has these keys (SameSite None, Secure False).
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SECURE=settings.session_cookie_secure)
    if settings.proxy_count and not isinstance(app.wsgi_app, ProxyFix):
        # Behind nginx every request comes from 127.0.0.1: the login throttle needs the client's address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count)
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
        with current_app.extensions["wxbot"].sessions.begin() as db:
            console_sessions.end(db, current_user.token)
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
