"""The protocol floor for bench_webhook: signature + AES decrypt + parse + encrypt a 300-character reply.

What any WeChat webhook must do per message, with wechatpy and Flask, and nothing else (no database,
no routing). The project is measured against this under the same gunicorn settings.
"""
import os
import secrets
import time

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot.config import DEMO

app = Flask(__name__)
crypto = WeChatCrypto(os.environ.get("WECHAT_TOKEN", DEMO["WECHAT_TOKEN"]),
                      os.environ.get("WECHAT_AES_KEY", DEMO["WECHAT_AES_KEY"]),
                      os.environ.get("WECHAT_APP_ID", DEMO.get("WECHAT_APP_ID", "")))
ANSWER = ("您好，这是协议基线的回复。" * 30)[:300]


@app.post("/wechat")
def wechat():
    args = request.args
    try:
        xml = crypto.decrypt_message(request.get_data(), args["msg_signature"], args["timestamp"], args["nonce"])
    except Exception:  # noqa: BLE001 - bad signature or body
        return Response("forbidden", status=403)
    msg = parse_message(xml)
    reply = TextReply(content=ANSWER, message=msg).render()
    return Response(crypto.encrypt_message(reply, secrets.token_hex(8), str(int(time.time()))),
                    mimetype="text/plain")


@app.get("/wechat")
def ping():
    return "ok"
