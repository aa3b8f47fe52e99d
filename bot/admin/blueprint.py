"""The console blueprint, its request hooks, error pages and template helpers."""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from bot.admin import auth
from bot.db import LOCAL_TZ
from bot.privacy.pii import mask_id, mask_name, mask_phone, scrub

log = logging.getLogger(__name__)


# (page key from bot.admin.PAGES, endpoint, label, least role) in menu order.
NAV = [
    ("dashboard", "admin.dashboard", "概况", "viewer"),
    ("urgent", "admin.urgent_list", "紧急求助", "viewer"),
    ("calls", "admin.calls_list", "电话任务", "viewer"),
    ("kb", "admin.kb_list", "知识库", "viewer"),
    ("unanswered", "admin.unanswered", "未答问题", "viewer"),
    ("facts", "admin.facts", "本地信息", "viewer"),
    ("jobs", "admin.jobs_list", "岗位", "viewer"),
    ("people", "admin.people", "持证人员", "viewer"),
    ("booking", "admin.rounds_list", "评残预约", "viewer"),
    ("notices", "admin.notices_list", "通知", "viewer"),
    ("entitle", "admin.entitle_rules", "政策体检", "viewer"),
    ("aids", "admin.aids_page", "共享辅具", "viewer"),
    ("staff", "admin.staff_list", "账号", "admin"),
    ("staff", "admin.audit_log", "操作日志", "admin"),
    ("staff", "admin.settings_page", "设置", "viewer"),
]


def services():
    return current_app.extensions["wxbot"]


def settings():
    return current_app.config["SETTINGS"]


@contextmanager
def tx():
    """One transaction for a console action (committed on success, rolled back on error)."""
    with services().sessions.begin() as session:
        yield session


@contextmanager
def reader():
    with services().sessions() as session:
        yield session


def no_store(resp):
    # Pages can show personal data: keep them out of shared browser caches and other frames.
    resp.headers.setdefault("Cache-Control", "no-store")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                            "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    return resp


def _error(status: int, title: str, text: str):
    return render_template("admin/error.html", status=status, title=title, text=text), status


def csrf_error(exc):
    if not request.path.startswith("/admin"):
        return exc
    log.info("CSRF refused on %s: %s", request.path, exc.description)
    return _error(400, "表单已过期", "页面停留太久或来源不明，请返回上一页刷新后再提交。")


def forbidden(_exc):
    return _error(403, "没有权限", "您的账号没有这项操作的权限。如需开通，请联系管理员。")


def not_found(_exc):
    return _error(404, "找不到页面", "没有这条记录，或链接有误。")


def unauthenticated(_exc):
    return _error(401, "请重新登录", "登录已过期，请重新登录后再提交。")


def localtime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(LOCAL_TZ).strftime(fmt)
    return str(value)


def install_template_helpers(app) -> None:
    app.jinja_env.filters.setdefault("localtime", localtime)
    app.jinja_env.filters.setdefault("mask_id", mask_id)
    app.jinja_env.filters.setdefault("mask_name", mask_name)
    app.jinja_env.filters.setdefault("mask_phone", mask_phone)
    app.jinja_env.filters.setdefault("scrub", lambda v: scrub(str(v)) if v is not None else "")


def _group(endpoint: str | None) -> str:
    """admin.jobs_form → jobs: the menu item a page belongs to (marked aria-current)."""
    return (endpoint or "").removeprefix("admin.").split("_")[0]


def console_globals():
    pages = current_app.config.get("ADMIN_PAGES", set())
    nav = []
    if current_user.is_authenticated:
        nav = [(endpoint, label, _group(endpoint) == _group(request.endpoint)) for key, endpoint, label, role in NAV
               if key in pages and current_user.can(role) and endpoint in current_app.view_functions]
    return {"nav": nav, "can": lambda role: current_user.is_authenticated and current_user.can(role),
            "idle_minutes": current_app.config.get("ADMIN_IDLE_MINUTES")}


def make_blueprint() -> Blueprint:
    """The console blueprint of one app, with its request hooks and error pages (no pages yet)."""
    bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                   static_folder="static", static_url_path="/static")
    bp.before_request(auth.before_console_request)
    bp.after_request(no_store)
    bp.app_errorhandler(CSRFError)(csrf_error)
    for status, page in ((403, forbidden), (404, not_found), (401, unauthenticated)):
        bp.register_error_handler(status, page)
    bp.context_processor(console_globals)
    return bp
