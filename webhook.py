"""Flask app factory: the WeChat endpoint, the console, the staff API and (when enabled) the simulator."""
from __future__ import annotations

import gc
import logging
import sys

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from bot import admin, api
from bot.engine import inbox as engine
from bot.devtools import simulator
from bot.config import Settings
from bot.db_limits import request_deadline
from bot.engine.followup import FollowUps
from bot.wechat.inbound import Inbound, MalformedMessage
from bot.wechat.protocol import BadSignature, CallbackCodec, replay_key
from bot.wechat.reply import render_xml
from bot.privacy.startup_check import require_production_ready
from bot.safety.detect import detector
from bot.engine.services import Services

log = logging.getLogger(__name__)
# Each module's register(app, services) adds its blueprint; the simulator only when enabled.
BLUEPRINTS = [simulator, api, admin]
# WeChat gives up after 5 s: database waits end by then (busy/lock/statement timeouts, retry wait).
REQUEST_BUDGET_SECONDS = 4.0


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


class ConsoleOnlySessions(SecureCookieSessionInterface):
    """Cookie sessions are the console's and the simulator's: WeChat's callbacks carry no cookie, and
    opening and saving one for each was 3 % of a message's CPU (py-spy, issue 16)."""

    def open_session(self, app, request):
        return None if request.path == "/wechat" else super().open_session(app, request)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    require_production_ready(settings)  # refuses demo/missing/short secrets and a changed DATA_KEY
    app = Flask(__name__)
    app.session_interface = ConsoleOnlySessions()
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes,
                      SETTINGS=settings)
    services = Services(settings)
    codec = CallbackCodec(settings)
    followups = FollowUps(services)
    app.extensions["wxbot"] = services
    app.extensions["wxbot.followups"] = followups

    @app.get("/wechat")
    def verify_server():
        try:
            codec.check_url_signature(request.args)
        except BadSignature:
            return _text("forbidden", 403)
        return _text(request.args.get("echostr", ""))

    @app.post("/wechat")
    def receive():
        body = request.get_data(cache=False)  # raises 413 over MAX_CONTENT_LENGTH
        try:
            xml, encrypted = codec.decode(request.args, body)
            msg = Inbound.from_xml(xml)
            with request_deadline(REQUEST_BUDGET_SECONDS):
                reply = engine.process(services, msg, replay_key(request.args))
        except BadSignature as exc:
            log.warning("refused callback from %s: %s", request.remote_addr, exc or "bad signature")
            return _text("forbidden", 403)
        except MalformedMessage as exc:
            log.warning("malformed callback: %s", exc)
            return _text("bad request", 400)
        except Exception as exc:
            if not engine.is_outage(exc) and not isinstance(exc, engine.DatabaseUnavailable):
                raise
            # Not "success": WeChat re-delivers (a retry after the lease takes the message over), and
            # if none gets through the resident hears from us once the database is back.
            log.error("database unavailable for %s: %s", msg.dedup_key, exc)
            followups.record(msg.dedup_key, msg.openid)
            return _text("database unavailable, please retry", 503)
        account = msg.to_user or settings.wechat_account
        return _text(codec.encode(render_xml(reply, msg.openid, account), encrypted) or "success")

    @app.errorhandler(413)
    def too_large(_exc):
        return _text("request body too large", 413)

    @app.errorhandler(Exception)
    def never_500(exc):
        # WeChat shows residents "该公众号提供的服务出现故障" on a 500: acknowledge instead.
        # (SQLAlchemy errors have string codes such as "e3q8": only HTTP errors pass through.)
        if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 500:
            return exc
        log.exception("unhandled error on %s", request.path)
        if request.path == "/wechat" and not engine.is_outage(exc):
            return _text("success")  # a bug: a retry would fail the same way
        return _text("服务暂时不可用，请稍后再试。", 503)

    for module in BLUEPRINTS:
        if module is not simulator or settings.simulator_enabled:
            module.register(app, services)
    _warm_up(services)
    return app


def _warm_up(services: Services) -> None:
    """Build the router, the knowledge index and the distress detector now, not on a resident's first
    message (the detector reads every entry's samples: 0.3 s); with gunicorn --preload the workers fork
    with them built and share their memory."""
    from bot.answers import knowledge  # why: importing webhook stays light; this builds the index
    services.router  # noqa: B018 - a cached property
    knowledge.bundle(services)
    detector(services.settings.knowledge_dir)
    # Connections opened at start-up (settings checks) must not be shared with forked workers.
    services.sessions.kw["bind"].dispose()
    if "gunicorn.arbiter" in sys.modules:
        # What start-up built lives as long as the process: out of the collector's sight, a full
        # collection no longer walks it (~150 ms holding the GIL, every thread of the worker stalled),
        # and forked workers no longer copy the pages its headers live in. Not in tests, which
        # build an app per test and would keep every earlier one.
        gc.collect()
        gc.freeze()
