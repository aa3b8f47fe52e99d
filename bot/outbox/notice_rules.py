"""When a notice may go out: quiet hours (21:00–08:00 Beijing time) and the one mass-send quota rule.

Pure rules over plain values, used by bot.notices.service (accepting a send, the scheduler tick), the outbox
dispatcher (rows already queued) and every page and command that shows the quota.
"""
from __future__ import annotations

import datetime as dt

from bot.notices import audiences
from bot.calendar_cn import WEEKDAYS
from bot.db import LOCAL_TZ
from bot.outbox.config import DeliveryConfig

QUIET_START, QUIET_END = dt.time(21, 0), dt.time(8, 0)
QUIET_LABEL = "21:00–08:00 不打扰"
NOTICE_KEY_PREFIX = "notice:"  # outbox dedupe keys of notice messages (bot.notices.service._enqueue)


def in_quiet_hours(at: dt.datetime) -> bool:
    local = at.astimezone(LOCAL_TZ).time()
    return local >= QUIET_START or local < QUIET_END


def quiet_end(at: dt.datetime) -> dt.datetime:
    """The first 08:00 (Beijing time) at or after `at`."""
    local = at.astimezone(LOCAL_TZ)
    day = local.date() if local.time() < QUIET_END else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_END, LOCAL_TZ).astimezone(dt.timezone.utc)


def next_morning(at: dt.datetime) -> dt.datetime:
    """08:00 of the local day after `at` (when a new day's mass-send quota may be used)."""
    day = at.astimezone(LOCAL_TZ).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_END, LOCAL_TZ).astimezone(dt.timezone.utc)


def hold_queued(dedupe_key: str, payload: dict, now: dt.datetime) -> dt.datetime | None:
    """For the dispatcher: when a queued notice message must wait for the morning, else None."""
    if not dedupe_key.startswith(NOTICE_KEY_PREFIX) or payload.get("urgent") or not in_quiet_hours(now):
        return None
    return quiet_end(now)


def per_resident(audience: str) -> bool:
    """Audiences resolved to individual openids (round:ID …), not a WeChat tag or everyone."""
    return audience != "all" and audiences.tag_name(audience) is None


def uses_mass_send(audience: str, config: DeliveryConfig) -> bool:
    """Everyone and every tag audience (towns, registered residents, job subscribers) is a mass send;
    a per-resident audience is one too unless a notice template is configured (then one by one)."""
    return not (per_resident(audience) and config.template("notice"))


def quota_rule(config: DeliveryConfig) -> str:
    """The rule in one sentence, the same on every page and in the CLI."""
    one_by_one = ("已配置通知模板，逐个发送，不占群发次数" if config.template("notice")
                  else "也是群发（未配置通知模板）")
    return (f"发给全部关注者、某个乡镇、已注册的居民、订阅岗位的居民，都是群发，每天最多 {config.mass_daily_quota} 次"
            f"（订阅号每天 1 次成功群发；服务号每位关注者每月最多收到 4 次）；发给评残场次的预约居民：{one_by_one}。"
            "次数用完的通知会等到第二天 08:00 再发。")


def quota_line(remaining: int, config: DeliveryConfig) -> str:
    return f"今天还能群发 {remaining} 次（每天 {config.mass_daily_quota} 次）。"


def day_word(at: dt.datetime, now: dt.datetime) -> str:
    """今天 / 明天 / 后天 / 12月3日（周四）, relative to now in Beijing time."""
    day, today = at.astimezone(LOCAL_TZ).date(), now.astimezone(LOCAL_TZ).date()
    words = {0: "今天", 1: "明天", 2: "后天"}
    if (day - today).days in words:
        return words[(day - today).days]
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def when_text(at: dt.datetime, now: dt.datetime) -> str:
    return f"{day_word(at, now)} {at.astimezone(LOCAL_TZ):%H:%M}"


def hold_message(at: dt.datetime, now: dt.datetime, reason: str) -> str:
    """What staff read when a send waits: "将于 明天 08:00 发送（21:00–08:00 不打扰）"."""
    if reason == "quota":
        return f"将于 {when_text(at, now)} 发送，{day_word(at - dt.timedelta(days=1), now)}的群发次数已用完"
    return f"将于 {when_text(at, now)} 发送（{QUIET_LABEL}）"
