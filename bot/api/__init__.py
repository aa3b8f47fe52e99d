"""Staff HTTP API under /api/v1/: bearer-token auth, JSON in and out, errors in Chinese and English.

Loaded by webhook.create_app via register(app, services), which builds a blueprint for that app and
adds the routes bot/api/jobs.py records (importing it registers nothing). Endpoints: see bot/api/jobs.py.
"""
from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, current_app, jsonify, request

from bot.api.auth import AuthError, authenticate

log = logging.getLogger(__name__)
NAME, URL_PREFIX = "api", "/api/v1"
MAX_JSON_BYTES = 32 * 1024  # one posting is a few KB; anything bigger is a mistake or an attack
_STATUS_TEXT = {400: ("请求有误", "bad request"), 401: ("未授权", "unauthorized"), 403: ("禁止访问", "forbidden"),
                404: ("没有找到", "not found"), 405: ("不支持这个方法", "method not allowed"),
                413: ("请求内容太大", "request body too large"), 415: ("请用 JSON", "use application/json"),
                422: ("输入有误", "invalid input"), 503: ("服务暂时不可用", "service unavailable")}


def error(status: int, code: str | None = None, zh: str | None = None, en: str | None = None,
          fields: dict[str, str] | None = None):
    """A JSON error body: {"error": code, "message": "中文 / English", "fields": {name: "中文 / English"}}."""
    default_zh, default_en = _STATUS_TEXT.get(status, ("出错了", "error"))
    body = {"error": code or default_en.replace(" ", "_"),
            "message": f"{zh or default_zh} / {en or default_en}"}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wxbot"'
    return response


def services():
    return current_app.extensions["wxbot"]


def with_token(write: bool):
    """Open the request's one transaction, authenticate, pass (session, token) to the view."""
    def wrap(view):
        @wraps(view)
        def run(*args, **kwargs):
            with services().sessions.begin() as session:
                try:
                    token = authenticate(session, request.headers.get("Authorization"), write)
                except AuthError as exc:
                    log.info("api auth failed (%s) from %s", exc.code, request.remote_addr)
                    return error(exc.status, exc.code, exc.zh, exc.en)
                return view(session, token, *args, **kwargs)
        return run
    return wrap


def json_body() -> dict:
    """The request's JSON object; raises BodyError for the wrong type, size or syntax."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise BodyError(413)
    if not request.is_json:
        raise BodyError(415)
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise BodyError(413)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BodyError(400, "invalid_json", "请求体应为 JSON 对象", "body must be a JSON object")
    return body


class BodyError(Exception):
    def __init__(self, status: int, code: str | None = None, zh: str | None = None, en: str | None = None):
        super().__init__(status)
        self.args_ = (status, code, zh, en)


def _body_error(exc: BodyError):
    return error(*exc.args_)


def _json_errors(response):
    """Errors raised outside our views (unknown URL, wrong method, 413, 503) still answer JSON."""
    if request.path.startswith(URL_PREFIX + "/") and response.status_code >= 400 \
            and response.mimetype != "application/json":
        return error(response.status_code)
    return response


def _exempt_from_csrf():
    # Bearer-token clients send no CSRF token; the console's CSRFProtect may be set up after us.
    csrf = current_app.extensions.get("csrf")
    if csrf is not None and request.blueprint == NAME:
        csrf.exempt(current_app.blueprints[NAME])


def make_blueprint() -> Blueprint:
    """The API blueprint of one app, with its error handler (no routes yet)."""
    bp = Blueprint(NAME, __name__, url_prefix=URL_PREFIX)
    bp.register_error_handler(BodyError, _body_error)
    return bp


def register(app, services_) -> None:
    """The API for this app: a fresh blueprint with the routes bot/api/jobs.py records."""
    from bot.api import jobs  # why: jobs.py imports this package (error, with_token, ...)
    if NAME in app.blueprints:
        return
    bp = make_blueprint()
    jobs.ROUTES.add_to(bp)
    if app.extensions.get("csrf") is not None:
        app.extensions["csrf"].exempt(bp)
    app.before_request(_exempt_from_csrf)  # registered before the console's, so it runs first
    app.after_request(_json_errors)
    app.register_blueprint(bp)
