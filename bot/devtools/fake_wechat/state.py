"""The fake WeChat API's state and rules (served over HTTP by bot.devtools.fake_wechat.server)."""
from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
import time
from collections import Counter
from functools import partialmethod

from bot.config import DEMO
from bot.db import LOCAL_TZ

MASS_DEDUP_SECONDS = 24 * 3600  # clientmsgid is checked against a day of mass sends
TEMPLATE_DEDUP_SECONDS = 600  # template client_msg_id: 10 minutes
SEND_APIS = {"message/custom/send": "custom", "message/template/send": "template",
             "message/mass/sendall": "mass", "message/mass/send": "mass"}


def _err(code: int, msg: str) -> dict:
    return {"errcode": code, "errmsg": msg}


class FakeState:
    def __init__(self, appid: str = DEMO["WECHAT_APP_ID"], secret: str = DEMO["WECHAT_APP_SECRET"], **config):
        self.appid, self.secret = appid, secret
        self.lock = threading.RLock()
        self.reset(**config)

    def reset(self, token_ttl: int = 7200, token_grace: int = 300, mass_daily_quota: int = 1) -> None:
        with self.lock:
            self.token_ttl, self.token_grace, self.mass_daily_quota = token_ttl, token_grace, mass_daily_quota
            self.tokens: dict[str, list] = {}  # token → [expires_at, reason if invalidated early]
            self.stable: str | None = None
            self.last_plain: str | None = None
            self.sent: list[dict] = []
            self.faults: list[dict] = []
            self.calls: Counter = Counter()
            self.tags: dict[int, dict] = {}
            self.mass_ids: dict[str, tuple[int, float]] = {}
            self.template_ids: dict[tuple[str, str], tuple[int, float]] = {}
            self.mass_days: Counter = Counter()
            self.menu = None
            self.ids = itertools.count(1000)

    def configure(self, **config) -> None:
        with self.lock:
            for key in ("token_ttl", "token_grace", "mass_daily_quota"):
                if key in config:
                    setattr(self, key, int(config[key]))

    # -- faults and records -------------------------------------------------------------------
    def add_fault(self, spec: dict) -> None:
        spec = dict(spec)
        spec["path"] = spec["path"].strip("/").removeprefix("cgi-bin/")
        with self.lock:
            self.faults.append(spec)

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, api: str, body: dict) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if fault["path"] != api or (fault.get("touser") and fault["touser"] != body.get("touser")):
                    continue
                times = int(fault.get("times", 1))
                if times > 0:
                    fault["times"] = times - 1
                    if times == 1:
                        self.faults.remove(fault)
                return fault  # times < 0: forever
        return None

    def count(self, api: str) -> None:
        with self.lock:
            self.calls[api] += 1

    def call_counts(self) -> dict:
        return dict(self.calls)

    def _record(self, kind: str, body: dict, **extra) -> int:
        msgid = next(self.ids)
        content = (body.get("text") or {}).get("content")
        if kind == "template":
            content = " / ".join(f"{k}: {v.get('value', '')}" for k, v in (body.get("data") or {}).items())
        self.sent.append({"id": f"{kind}-{msgid}", "msgid": msgid, "kind": kind, "touser": body.get("touser"),
                          "msgtype": body.get("msgtype", kind), "content": content, "data": body.get("data"),
                          "body": body, "at": time.time(), **extra})
        return msgid

    # -- tokens -------------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        for entry in self.tokens.values():
            entry[0] = 0.0

    def _issue(self, previous: str | None) -> str:
        now = time.time()
        if previous in self.tokens:  # the old token keeps working for a grace period, then 40001
            entry = self.tokens[previous]
            entry[0], entry[1] = min(entry[0], now + self.token_grace), "replaced"
        token = "FAKE_" + secrets.token_hex(16)
        self.tokens[token] = [now + self.token_ttl, None]
        return token

    def _credentials(self, appid, secret) -> dict | None:
        if appid != self.appid or secret != self.secret:
            return _err(40013, "invalid appid") if appid != self.appid else _err(40125, "invalid appsecret")
        return None

    def check_token(self, token: str | None) -> dict | None:
        entry = self.tokens.get(token or "")
        if not token:
            return _err(41001, "access_token missing")
        if entry is None:
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        if entry[0] <= time.time():
            if entry[1]:  # replaced by a newer token and past the grace period
                return _err(40001, "invalid credential, access_token is not latest")
            return _err(42001, "access_token expired")
        return None

    # -- API ----------------------------------------------------------------------------------
    def call(self, api: str, args: dict, body: dict) -> dict:
        with self.lock:
            if api == "token":
                bad = self._credentials(args.get("appid"), args.get("secret"))
                if bad:
                    return bad
                self.last_plain = self._issue(self.last_plain)
                return {"access_token": self.last_plain, "expires_in": self.token_ttl}
            if api == "stable_token":
                bad = self._credentials(body.get("appid"), body.get("secret"))
                if bad:
                    return bad
                entry = self.tokens.get(self.stable or "")
                if entry is None or entry[0] <= time.time() or body.get("force_refresh"):
                    self.stable = self._issue(self.stable)
                remaining = int(self.tokens[self.stable][0] - time.time())
                return {"access_token": self.stable, "expires_in": remaining}
            bad = self.check_token(args.get("access_token"))
            if bad:
                return bad
            handler = getattr(self, "api_" + api.replace("/", "_"), None)
            return handler(body) if handler else _err(48001, f"api unauthorized (fake has no {api})")

    def today(self) -> str:
        return dt.datetime.now(LOCAL_TZ).date().isoformat()

    def api_message_custom_send(self, body: dict) -> dict:
        if not body.get("touser"):
            return _err(40003, "invalid openid")
        if len(((body.get("text") or {}).get("content") or "").encode()) > 2048:
            return _err(45002, "content size out of limit")
        self._record("custom", body)
        return _err(0, "ok")

    def api_message_template_send(self, body: dict) -> dict:
        if not body.get("touser"):
            return _err(40003, "invalid openid")
        if not body.get("template_id") or str(body["template_id"]).startswith("invalid"):
            return _err(40037, "invalid template_id")
        if any(len(str((v or {}).get("value", ""))) > 20 for v in (body.get("data") or {}).values()):
            return _err(47003, "argument invalid! data.value too long (max 20)")
        key = (body["touser"], body.get("client_msg_id") or "")
        earlier = self.template_ids.get(key)
        if key[1] and earlier and time.time() - earlier[1] < TEMPLATE_DEDUP_SECONDS:
            return {**_err(0, "ok"), "msgid": earlier[0]}  # a repeat within 10 min is dropped silently
        msgid = self._record("template", body)
        if key[1]:
            self.template_ids[key] = (msgid, time.time())
        return {**_err(0, "ok"), "msgid": msgid}

    def _mass(self, body: dict, to) -> dict:
        clientmsgid = body.get("clientmsgid") or ""
        earlier = self.mass_ids.get(clientmsgid)
        if clientmsgid and earlier and time.time() - earlier[1] < MASS_DEDUP_SECONDS:
            return {**_err(45065, "clientmsgid exist"), "msg_id": earlier[0]}
        if self.mass_days[self.today()] >= self.mass_daily_quota:
            return _err(45028, "has no masssend quota")
        self.mass_days[self.today()] += 1
        msgid = self._record("mass", body, to=to)
        if clientmsgid:
            self.mass_ids[clientmsgid] = (msgid, time.time())
        return {**_err(0, "send job submission success"), "msg_id": msgid, "msg_data_id": msgid}

    def api_message_mass_sendall(self, body: dict) -> dict:
        flt = body.get("filter") or {}
        if flt.get("is_to_all"):
            return self._mass(body, "all")
        tag = self.tags.get(int(flt.get("tag_id") or 0))
        if tag is None:
            return _err(40050, "invalid tag id")
        return self._mass(body, sorted(tag["members"]))

    def api_message_mass_send(self, body: dict) -> dict:
        users = body.get("touser") or []
        if not isinstance(users, list) or not 2 <= len(users) <= 10000:
            return _err(40130, "invalid openid list size, at least two openid")
        return self._mass(body, list(users))

    def api_tags_create(self, body: dict) -> dict:
        name = ((body.get("tag") or {}).get("name") or "").strip()
        if not name or len(name) > 30:
            return _err(45158, "tag name too long")
        if any(t["name"] == name for t in self.tags.values()):
            return _err(45157, "invalid tag name (duplicate)")
        tag_id = 100 + len(self.tags)
        self.tags[tag_id] = {"name": name, "members": set()}
        return {"tag": {"id": tag_id, "name": name}}

    def api_tags_get(self, body: dict) -> dict:
        return {"tags": [{"id": i, "name": t["name"], "count": len(t["members"])}
                         for i, t in self.tags.items()]}

    def _tag_members(self, body: dict, add: bool) -> dict:
        tag, openids = self.tags.get(int(body.get("tagid") or 0)), body.get("openid_list") or []
        if tag is None:
            return _err(45159, "invalid tag id")
        if len(openids) > 50:
            return _err(40032, "invalid openid list size (max 50)")
        (tag["members"].update if add else tag["members"].difference_update)(openids)
        return _err(0, "ok")

    api_tags_members_batchtagging = partialmethod(_tag_members, add=True)
    api_tags_members_batchuntagging = partialmethod(_tag_members, add=False)

    def api_user_tag_get(self, body: dict) -> dict:
        tag = self.tags.get(int(body.get("tagid") or 0))
        if tag is None:
            return _err(45159, "invalid tag id")
        members = sorted(m for m in tag["members"] if m > (body.get("next_openid") or ""))
        page = members[:10000]
        return {"count": len(page), "data": {"openid": page}, "next_openid": page[-1] if page else ""}

    def api_menu_create(self, body: dict) -> dict:
        buttons = body.get("button") or []
        if not 1 <= len(buttons) <= 3 or any(len(b.get("sub_button") or []) > 5 for b in buttons):
            return _err(40017, "invalid button size")
        for b in buttons:
            if len(b.get("name", "").encode()) > 16 or any(len(s.get("name", "").encode()) > 60
                                                           for s in b.get("sub_button") or []):
                return _err(40018, "invalid button name size")
        self.menu = body
        return _err(0, "ok")

    def api_menu_get(self, body: dict) -> dict:
        return {"menu": self.menu} if self.menu else _err(46003, "menu no exist")
