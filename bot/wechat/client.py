"""WeChat API client: wechatpy's WeChatClient with a configurable base URL and a shared, DB-stored token.

Only the token owner (the scheduler process, or `make run`'s embedded scheduler) refreshes the token,
through `cgi-bin/stable_token`, which returns the same token while it is valid; web workers only read
it, because each process fetching its own would invalidate the others' (40001). A refused token is
retried once with a fresh one, never recursively (wechatpy's auto_retry recurses, so it is off).
Every call has settings.api_timeout_seconds; failures raise bot.wechat.errors exceptions.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

import requests
import yaml
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.db import utcnow
from bot.models import AccessToken
from bot.wechat.errors import (AlreadySent, PermanentError, TokenRejected, TransientError,  # noqa: F401
                               WeChatError, from_errcode, from_http_status, never_sent)

log = logging.getLogger(__name__)
TOKEN_MARGIN = dt.timedelta(seconds=120)  # treat a token as expired a little early
TOKEN_RECHECK_SECONDS = 30.0  # how long a worker trusts its in-memory copy before re-reading the DB
FORCE_REFRESH_MIN_INTERVAL = 30.0  # WeChat allows force_refresh every 30 s, 20 times a day


class WeChatAPI(WeChatClient):
    def __init__(self, settings, sessions):
        super().__init__(settings.wechat_app_id, settings.wechat_app_secret,
                         timeout=settings.api_timeout_seconds, auto_retry=False)
        self.settings, self.sessions = settings, sessions
        self.base = settings.wechat_api_base.rstrip("/")
        self.API_BASE_URL = f"{self.base}/cgi-bin/"
        self._http.mount("http://", HTTPAdapter(pool_maxsize=16))
        self._http.mount("https://", HTTPAdapter(pool_maxsize=16))
        self._lock = threading.Lock()
        self._cached: tuple[str, dt.datetime, float] | None = None  # token, expires_at, read at
        self._forced_at = 0.0

    # -- access token -------------------------------------------------------------------------
    @property
    def access_token(self) -> str:
        with self._lock:
            cached = self._cached
            fresh = cached and time.monotonic() - cached[2] < TOKEN_RECHECK_SECONDS
            if fresh and cached[1] - TOKEN_MARGIN > utcnow():
                return cached[0]
            row = self._stored_token()
            if row and row[1] - TOKEN_MARGIN > utcnow():
                self._cached = (row[0], row[1], time.monotonic())
                return row[0]
            if not self.settings.token_owner:
                raise TransientError(None, "no valid access_token stored yet; the scheduler refreshes it")
            return self._refresh(force=False)

    def fetch_access_token(self) -> dict:
        """wechatpy's hook, which hard-codes the real URL: refresh through our base instead."""
        with self._lock:
            token = self._refresh(force=False)
        return {"access_token": token, "expires_in": int((self._cached[1] - utcnow()).total_seconds())}

    def refresh_if_needed(self, within: dt.timedelta = dt.timedelta(minutes=10)) -> bool:
        """The owner's tick: fetch the stable token when none is stored or it expires soon."""
        if not self.settings.token_owner:
            raise PermanentError(None, "this process is not the token owner")
        with self._lock:
            row = self._stored_token()
            if row and row[1] - within > utcnow():
                return False
            self._refresh(force=False)
            return True

    def _stored_token(self) -> tuple[str, dt.datetime] | None:
        with self.sessions() as session:
            row = session.get(AccessToken, self.appid)
            return (row.token, row.expires_at) if row else None

    def _refresh(self, force: bool) -> str:
        """Ask cgi-bin/stable_token and store the answer (callers hold self._lock)."""
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": force}
        try:
            result = self._call_http("post", f"{self.base}/cgi-bin/stable_token", json=body)
        except WeChatError as exc:
            # A wrong secret or IP whitelist (40125, 40164) is the account's problem, not the message's:
            # queued messages wait (transient) while operators fix it.
            log.error("cannot get an access_token: %s", exc.summary)
            raise TransientError(exc.errcode, f"cannot get an access_token: {exc.errmsg}") from exc
        token = result["access_token"]
        expires_at = utcnow() + dt.timedelta(seconds=int(result.get("expires_in", 7200)))
        with self.sessions.begin() as session:
            row = session.get(AccessToken, self.appid)
            if row is None:
                session.add(AccessToken(app_id=self.appid, token=token, expires_at=expires_at))
            else:
                row.token, row.expires_at = token, expires_at
        self._cached = (token, expires_at, time.monotonic())
        log.info("access token refreshed (force=%s), valid until %s", force,
                 expires_at.isoformat(timespec="seconds"))
        return token

    def _token_refused(self, token: str) -> None:
        """After 40001/42001: forget the copy; the owner forces a new token if the stored one is bad."""
        with self._lock:
            self._cached = None
            row = self._stored_token()
            if row and row[0] != token:
                return  # someone already stored a newer token; the retry reads it
            if not self.settings.token_owner:
                return
            # Past its expiry the normal call already returns a new token; force only when WeChat still
            # hands out the refused one (force_refresh is limited to 20 a day, 30 s apart).
            may_force = time.monotonic() - self._forced_at > FORCE_REFRESH_MIN_INTERVAL
            if self._refresh(force=False) == token and may_force:
                self._forced_at = time.monotonic()
                self._refresh(force=True)

    # -- transport ----------------------------------------------------------------------------
    def _call_http(self, method: str, url: str, **kwargs) -> dict:
        """One HTTP call with a timeout; WeChat's errcode mapped to our exceptions."""
        try:
            res = self._http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise TransientError(None, f"{type(exc).__name__} calling WeChat",
                                 ambiguous=not never_sent(exc)) from exc
        if res.status_code >= 400:
            raise from_http_status(res.status_code)
        try:
            result = res.json()
        except ValueError as exc:
            raise TransientError(None, "WeChat answered something that is not JSON", ambiguous=True) from exc
        if int(result.get("errcode", 0) or 0) != 0:
            raise from_errcode(int(result["errcode"]), str(result.get("errmsg", "")))
        return result

    def _request(self, method, url_or_endpoint, **kwargs):
        """Every API call: the stored token, a timeout, one retry when the token is refused."""
        params = dict(kwargs.pop("params", None) or {})
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        for attempt in (1, 2):
            token = self.access_token
            try:
                return super()._request(method, url_or_endpoint, params={**params, "access_token": token},
                                        **kwargs)
            except WeChatClientException as exc:
                if exc.errcode is None:
                    status = getattr(exc.response, "status_code", 502)
                    raise from_http_status(status) from exc
                error = from_errcode(int(exc.errcode), str(exc.errmsg or ""))
            except requests.RequestException as exc:
                raise TransientError(None, f"{type(exc).__name__} calling WeChat",
                                     ambiguous=not never_sent(exc)) from exc
            if isinstance(error, TokenRejected) and attempt == 1:
                log.info("access token refused (%s); retrying once", error.errcode)
                self._token_refused(token)
                continue
            raise error
        raise AssertionError("unreachable")

    # -- messages -----------------------------------------------------------------------------
    def send_custom_text(self, openid: str, text: str) -> dict:
        return self.post("message/custom/send",
                         data={"touser": openid, "msgtype": "text", "text": {"content": text}})

    def send_custom_news(self, openid: str, articles: list[dict]) -> dict:
        """Since 2018 a customer-service news message shows one article; extra ones are dropped."""
        items = [{"title": a.get("title", ""), "description": a.get("description", ""),
                  "url": a.get("url", ""), "picurl": a.get("picurl") or a.get("image", "")}
                 for a in articles[:1]]
        return self.post("message/custom/send",
                         data={"touser": openid, "msgtype": "news", "news": {"articles": items}})

    def send_template(self, openid: str, template_id: str, data: dict, url: str | None = None,
                      client_msg_id: str | None = None) -> dict:
        body = {"touser": openid, "template_id": template_id,
                "data": {k: v if isinstance(v, dict) else {"value": str(v)} for k, v in data.items()}}
        if url:
            body["url"] = url
        if client_msg_id:
            body["client_msg_id"] = client_msg_id  # WeChat drops a repeat within 10 minutes
        return self.post("message/template/send", data=body)

    def _mass(self, endpoint: str, target: dict, message: dict, clientmsgid: str) -> dict:
        body = {**target, **message, "clientmsgid": clientmsgid[:64], "send_ignore_reprint": 0}
        return self.post(endpoint, data=body)

    @staticmethod
    def _filter(tag_id: int | None, to_all: bool) -> dict:
        if to_all == (tag_id is not None):
            raise ValueError("give either tag_id or to_all=True")
        return {"filter": {"is_to_all": True} if to_all else {"is_to_all": False, "tag_id": int(tag_id)}}

    def mass_send_text(self, text: str, *, clientmsgid: str, tag_id: int | None = None,
                       to_all: bool = False) -> dict:
        return self._mass("message/mass/sendall", self._filter(tag_id, to_all),
                          {"msgtype": "text", "text": {"content": text}}, clientmsgid)

    def mass_send_news(self, media_id: str, *, clientmsgid: str, tag_id: int | None = None,
                       to_all: bool = False) -> dict:
        return self._mass("message/mass/sendall", self._filter(tag_id, to_all),
                          {"msgtype": "mpnews", "mpnews": {"media_id": media_id}}, clientmsgid)

    def mass_send_to_openids(self, openids: list[str], *, clientmsgid: str, text: str | None = None,
                             media_id: str | None = None) -> dict:
        """message/mass/send takes 2–10 000 openids."""
        message = ({"msgtype": "text", "text": {"content": text}} if text is not None
                   else {"msgtype": "mpnews", "mpnews": {"media_id": media_id}})
        return self._mass("message/mass/send", {"touser": list(openids)}, message, clientmsgid)

    # -- tags and menu ------------------------------------------------------------------------
    def tag_create(self, name: str) -> int:
        return int(self.post("tags/create", data={"tag": {"name": name[:30]}})["tag"]["id"])

    def tag_list(self) -> list[dict]:
        return self.get("tags/get").get("tags", [])

    def tag_members(self, tag_id: int) -> list[str]:
        """Every openid carrying the tag (WeChat pages 10 000 at a time)."""
        members, next_openid = [], ""
        while True:
            page = self.post("user/tag/get", data={"tagid": int(tag_id), "next_openid": next_openid})
            batch = (page.get("data") or {}).get("openid") or []
            members += batch
            next_openid = page.get("next_openid") or ""
            if not batch or not next_openid:
                return members

    def tag_users(self, tag_id: int, openids: list[str]) -> None:
        for i in range(0, len(openids), 50):  # batchtagging takes at most 50 openids
            self.post("tags/members/batchtagging",
                      data={"tagid": int(tag_id), "openid_list": openids[i:i + 50]})

    def untag_users(self, tag_id: int, openids: list[str]) -> None:
        for i in range(0, len(openids), 50):
            self.post("tags/members/batchuntagging",
                      data={"tagid": int(tag_id), "openid_list": openids[i:i + 50]})

    def menu_create_from_file(self, path: str | Path | None = None) -> dict:
        """Push knowledge/menu.yaml as the account's custom menu."""
        path = Path(path or Path(self.settings.knowledge_dir) / "menu.yaml")
        menu = yaml.safe_load(path.read_text("utf-8"))
        return self.post("menu/create", data={"button": menu["button"]})
