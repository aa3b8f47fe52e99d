"""What a failed WeChat API call means for the caller: retry later, give up, or already done."""
from __future__ import annotations

import datetime as dt
import random

import requests

from bot.db import LOCAL_TZ, utcnow

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid / not latest / expired access_token
# -1 system busy, 45011 API minute limit, 45009 API daily quota, 45028 no mass-send quota today.
BUSY_ERRORS = frozenset({-1, 45011})
NEXT_DAY_ERRORS = frozenset({45009, 45028})
DUPLICATE_MASS = 45065  # clientmsgid reused: WeChat already accepted this mass send
# Errors that mean "this recipient cannot get a customer-service message now".
WINDOW_ERRORS = frozenset({45015, 45047})
# Template messages unavailable (订阅号 without the API, a wrong template id): fall back to text.
TEMPLATE_UNAVAILABLE = frozenset({40037, 48001})
EXPLAIN = {
    -1: "系统繁忙", 40001: "access_token 无效或不是最新", 40003: "openid 无效", 40014: "access_token 无效",
    40037: "模板 id 无效", 40164: "调用 IP 不在白名单", 42001: "access_token 过期", 43004: "用户未关注",
    45009: "接口当日调用量已用完", 45011: "接口调用太频繁", 45015: "超过 48 小时客服窗口或已取关",
    45028: "今日群发次数已用完", 45047: "客服消息条数已用完", 45065: "相同 clientmsgid 已群发过",
    48001: "接口未授权（账号类型或权限）",
}


class WeChatError(Exception):
    """A WeChat API call failed; errcode is WeChat's code (None for HTTP/network failures)."""

    def __init__(self, errcode: int | None, errmsg: str = "", *, retry_at: dt.datetime | None = None,
                 ambiguous: bool = False):
        self.errcode, self.errmsg = errcode, errmsg or EXPLAIN.get(errcode, "")
        self.retry_at = retry_at  # earliest sensible retry (45009 → the next local day)
        self.ambiguous = ambiguous  # the request may have reached WeChat (read timeout)
        super().__init__(f"{errcode}: {self.errmsg}")

    @property
    def summary(self) -> str:
        return f"{self.errcode} {self.errmsg}".strip()[:300]


class TransientError(WeChatError):
    """Worth retrying later: busy, quota for today, timeouts, 5xx, no token yet."""


class PermanentError(WeChatError):
    """Retrying will not help: not following, bad openid, window closed, not authorised…"""


class TokenRejected(TransientError):
    """The access token was refused (40001/40014/42001); the client retries once with a fresh one."""


class AlreadySent(WeChatError):
    """45065: a mass send with this clientmsgid was accepted earlier, so the message is out."""


def next_local_day(now: dt.datetime | None = None) -> dt.datetime:
    """Shortly after the next local midnight (quotas reset then), jittered so retries spread out."""
    local = (now or utcnow()).astimezone(LOCAL_TZ)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0, 5), LOCAL_TZ)
    return (midnight + dt.timedelta(seconds=random.uniform(0, 1200))).astimezone(dt.timezone.utc)


def from_errcode(errcode: int, errmsg: str = "") -> WeChatError:
    """Map a WeChat errcode to the exception the caller acts on."""
    if errcode in TOKEN_ERRORS:
        return TokenRejected(errcode, errmsg)
    if errcode == DUPLICATE_MASS:
        return AlreadySent(errcode, errmsg)
    if errcode in NEXT_DAY_ERRORS:
        return TransientError(errcode, errmsg, retry_at=next_local_day())
    if errcode in BUSY_ERRORS:
        return TransientError(errcode, errmsg)
    # Unknown codes are permanent on purpose: a retry loop on a misconfiguration helps nobody,
    # and the code lands in outbox.last_error where staff can see it.
    return PermanentError(errcode, errmsg)


def from_http_status(status: int) -> WeChatError:
    if status >= 500 or status == 429:
        # A gateway timeout may hide a request WeChat did process; other 5xx mean it did not run.
        return TransientError(None, f"HTTP {status}", ambiguous=status == 504)
    return PermanentError(None, f"HTTP {status}")


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached WeChat (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and "NewConnectionError" in type(reason).__name__
