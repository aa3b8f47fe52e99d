"""The web simulator: a WeChat-like chat page that posts signed XML through the real /wechat path."""
from __future__ import annotations

import os

import requests
import yaml
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from bot.devtools.simulate import build_xml, encrypts, read_reply, signed_request
from bot.web_routes import Routes

ROUTES = Routes()  # added to a blueprint per app by register(): importing this module registers nothing

EVENTS = {"subscribe", "unsubscribe", "click", "scan", "location", "view"}


@ROUTES.get("/")
def page():
    settings = current_app.config["SETTINGS"]
    menu = _menu_buttons(settings)
    return render_template("simulator.html", menu=menu, encrypted_available=bool(settings.wechat_aes_key),
                           encrypted_always=encrypts(settings))


@ROUTES.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on every page; answer with the simulator's icon."""
    return redirect(url_for("simulator.static", filename="favicon.svg"), code=301)


@ROUTES.post("/simulator/send")
def send():
    """Build the XML WeChat would send, sign (and encrypt) it and POST it to /wechat in-process."""
    settings = current_app.config["SETTINGS"]
    data = request.get_json(silent=True) or {}
    openid = str(data.get("openid") or "o_simulator")[:64]
    kind = data.get("type", "text")
    if kind == "text":
        xml = build_xml(openid, "text", settings.wechat_account, Content=str(data.get("text", ""))[:2000])
    elif kind == "voice":
        xml = build_xml(openid, "voice", settings.wechat_account, MediaId="sim", Format="amr",
                        Recognition=str(data.get("text", ""))[:2000])
    elif kind == "event" and data.get("event") in EVENTS:
        xml = build_xml(openid, "event", settings.wechat_account, Event=data["event"],
                        EventKey=str(data.get("key", "")))
    elif kind in ("image", "location", "link", "video"):
        xml = build_xml(openid, kind, settings.wechat_account, MediaId="sim", PicUrl="http://127.0.0.1/x.png",
                        Location_X="27.66", Location_Y="120.56", Label="平阳县昆阳镇", Title="链接", Url="http://127.0.0.1/")
    else:
        return jsonify(error="unknown message type"), 400
    # Safe mode (AES key set, compatible mode not opted in) refuses plaintext: always encrypt then.
    encrypt = bool(settings.wechat_aes_key) and (bool(data.get("encrypt")) or encrypts(settings))
    query, body = signed_request(settings, xml, encrypt=encrypt, openid=openid)
    with current_app.test_client() as client:
        resp = client.post(f"/wechat?{query}", data=body, content_type="text/xml")
    result = read_reply(settings, resp.data, encrypted=encrypt)
    result.update(status=resp.status_code, sent_xml=xml)
    return jsonify(result)


@ROUTES.get("/simulator/sent")
def sent():
    """Messages the (fake) WeChat API delivered to this openid later: outbox, notices, reminders."""
    settings = current_app.config["SETTINGS"]
    openid = request.args.get("openid", "o_simulator")
    try:
        resp = requests.get(f"{settings.wechat_api_base}/_fake/sent", params={"touser": openid}, timeout=2)
        return jsonify(resp.json() if resp.ok else [])
    except (requests.RequestException, ValueError):
        return jsonify([])


def _menu_buttons(settings) -> list[dict]:
    path = os.path.join(settings.knowledge_dir, "menu.yaml")
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh).get("button", [])
    except (OSError, AttributeError):
        return []


def register(app, _services) -> None:
    """The simulator page for this app (only when enabled: webhook.create_app decides)."""
    bp = Blueprint("simulator", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/simulator/static")
    ROUTES.add_to(bp)
    app.register_blueprint(bp)
