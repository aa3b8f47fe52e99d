"""Builds the signed (optionally encrypted) XML WeChat would send, and reads the replies.

Shared by the web simulator, `wxbot chat` and the tests, so all three use the real /wechat path.
"""
from __future__ import annotations

import itertools
import secrets
import time
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from wechatpy.crypto import WeChatCrypto

from bot.config import Settings
from bot.wechat.inbound import parse_xml
from bot.wechat.protocol import sign

_msg_ids = itertools.count(int(time.time() * 1000))


def build_xml(openid: str, msg_type: str = "text", account: str = "gh_demo_account", msg_id: str | None = None,
              create_time: int | None = None, **fields) -> str:
    """A WeChat callback body. fields are XML element names: Content, Event, EventKey, Recognition …"""
    parts = [f"<ToUserName><![CDATA[{account}]]></ToUserName>",
             f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
             f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
             f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
    for name, value in fields.items():
        text = str(value)
        parts.append(f"<{name}><![CDATA[{text}]]></{name}>" if "]]>" not in text
                     else f"<{name}>{escape(text)}</{name}>")
    if msg_type != "event":
        parts.append(f"<MsgId>{msg_id or next(_msg_ids)}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def encrypts(settings: Settings) -> bool:
    """Whether WeChat sends this account encrypted bodies: safe mode unless compatible mode is opted in."""
    return bool(settings.wechat_aes_key) and not settings.wechat_compat_mode


def signed_request(settings: Settings, xml: str, encrypt: bool | None = None, openid: str = "",
                   token: str | None = None, timestamp: int | None = None) -> tuple[str, bytes]:
    """Return (query string, body) exactly as WeChat would POST them (encrypt=None: as the account's
    mode says)."""
    encrypt = encrypts(settings) if encrypt is None else encrypt
    token = token or settings.wechat_token
    timestamp, nonce = str(int(time.time()) if timestamp is None else timestamp), secrets.token_hex(5)
    args = {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    if openid:
        args["openid"] = openid
    body = xml
    if encrypt:
        crypto = WeChatCrypto(token, settings.wechat_aes_key, settings.wechat_app_id)
        envelope = parse_xml(crypto.encrypt_message(xml, nonce, timestamp))
        args.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        body = f"<xml><ToUserName><![CDATA[gh_demo_account]]></ToUserName>" \
               f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    return urlencode(args), body.encode("utf-8")


def read_reply(settings: Settings, body: bytes | str, encrypted: bool | None = None) -> dict:
    """Decode a passive reply into {type, text, articles, xml}; type 'success' for an empty ack.
    encrypted=None: decrypt when the reply is encrypted."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if text in ("", "success"):
        return {"type": "success", "text": "", "articles": [], "xml": text}
    root = parse_xml(text)
    if encrypted is None:
        encrypted = "Encrypt" in root
    if encrypted:
        if "Encrypt" not in root:
            raise ValueError("safe mode reply is not encrypted")
        crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
        text = crypto.decrypt_message(text, root["MsgSignature"], root["TimeStamp"], root["Nonce"])
        root = parse_xml(text)
    kind = (root.get("MsgType") or "").lower()
    articles = []
    if kind == "news":
        items = root.get("Articles", {}).get("item", [])
        items = items if isinstance(items, list) else [items]
        articles = [{"title": i.get("Title", ""), "description": i.get("Description", ""),
                     "url": i.get("Url", "")} for i in items]
    return {"type": kind, "text": root.get("Content") or "", "articles": articles, "xml": text}
