"""Borrowing a device by chat: which device → which town → stations with what is free now → confirm →
a code, the address, hours, what to bring and the pick-up deadline. None free → the waitlist.
The steps only: handlers/aids.py declares the flow "aids" (opened here by name)."""
from __future__ import annotations

import functools
import re

from bot.aids import service
from bot.aids.models import AidStation, AidStock
from bot.aids.waitlist import close_wait, join_wait, position
from bot.answers.normalize import compact
from bot.answers.towns import match_town
from bot.answers.voice_words import command_elsewhere, leavable as _leavable, leave
from bot.booking import residents
from bot.booking.texts import is_yes, number, say

# What residents say (typed or dictated) → the device type staff stock.
WORDS = {"轮椅": ("轮椅",), "助行器": ("助行器", "助步器", "学步车", "助行架", "步行器"),
         "坐便椅": ("坐便椅", "坐便器", "马桶椅", "坐厕椅"), "护理床": ("护理床", "病床", "医用床"),
         "拐杖": ("拐杖", "拐棍", "手杖", "拐")}
DEVICE = "(轮椅|助行器|助步器|助行架|步行器|坐便椅|坐便器|马桶椅|坐厕椅|护理床|拐杖|拐棍|手杖|辅具|辅助器具)"
ENTRY = re.compile(rf"借[^，。？?]{{0,4}}{DEVICE}|{DEVICE}[\s\S]{{0,16}}借")
BRING = "请带上借用人的身份证，有残疾人证也带上；家人代取带上自己的身份证。"
PENDING = "待公布"
STOP = ("不借了", "不借", "不用借了", "算了")


def leavable(fn):
    """A step where "不借了" leaves, like "我不注册了" does; another command leaves and is answered."""
    @functools.wraps(fn)
    def step(ctx):
        if command_elsewhere(ctx, "handlers.aids"):
            ctx.end_flow()
            ctx.notes.append("好的，先不借了，没有预约。")
            return None  # the dispatcher routes the command as if no flow were open
        return leave(ctx) if compact(ctx.text or "") in STOP else fn(ctx)
    return _leavable(step)


def device_in(text: str) -> str | None:
    said = compact(text)
    return next((device for device, words in WORDS.items() if any(w in said for w in words)), None)


def _device_menu(ctx, first: str = "想借哪种辅具？请回复数字：") -> object:
    return say(ctx, first, *(f"{i}. {d}" for i, d in enumerate(service.DEVICES, 1)), "中途回复“取消”可以退出。")


def start(ctx, device: str | None):
    """Registered residents only (as booking): the others register inline and come back here."""
    person = residents.registered_person(ctx.session, ctx.settings.data_key, ctx.openid)
    if person is None:
        then = f"AIDS_BORROW_{service.DEVICES.index(device) + 1}" if device else "AIDS_BORROW"
        return residents.start_registration(ctx, then=then)
    ctx.start_flow("aids", "device", town=person.town, key=residents.resident_key(person, ctx.openid))
    if device is None:
        return _device_menu(ctx, "好的，帮您在共享辅具驿站借辅具，免费借用，用完归还。\n想借哪种？请回复数字：")
    return _chose_device(ctx, device)


def _chose_device(ctx, device: str):
    held = service.holding(ctx.session, ctx.data["key"], device)
    if held is not None:
        ctx.end_flow()
        return say(ctx, f"您已经预约或借用了一台{device}，借用码 {held.code}。", "回复“我的借用”可以查看。")
    ctx.goto("town", device=device)
    if not ctx.data.get("town"):
        return say(ctx, f"借{device}。您住在哪个乡镇？例如：鳌江镇。")
    return _list(ctx)


@leavable
def ask_device(ctx):
    n = number(ctx.text, len(service.DEVICES))
    device = service.DEVICES[n - 1] if n else device_in(ctx.text)
    if device is None:
        return _device_menu(ctx, "没有听明白，请回复数字：")
    return _chose_device(ctx, device)


@leavable
def ask_town(ctx):
    town = match_town(ctx.settings.knowledge_dir, ctx.text)
    if town is None:
        return say(ctx, "没有听出是哪个乡镇，请再说一次，例如：昆阳镇、鳌江镇。")
    ctx.goto("town", town=town)
    return _list(ctx)


def _list(ctx):
    town, device = ctx.data["town"], ctx.data["device"]
    free = [(st, sk) for st, sk in service.choices(ctx.session, town, device) if sk.available > 0]
    if not free:
        ctx.goto("none")
        return say(ctx, f"{town}的共享辅具驿站现在没有可借的{device}。",
                   "1. 登记等候：有人归还时发消息通知您", "2. 换一个乡镇：直接回复乡镇名", way_out=True)
    ctx.goto("pick", stock_ids=[sk.id for _st, sk in free[:9]])
    lines = [f"{i}. {st.name}：可借 {sk.available} 台" + (f"，{sk.condition}" if sk.condition else "")
             for i, (st, sk) in enumerate(free[:9], 1)]
    return say(ctx, f"{town}现在可以借{device}的驿站：", *lines, "请回复数字选择。")


@leavable
def ask_none(ctx):
    town = match_town(ctx.settings.knowledge_dir, ctx.text)
    if town is not None and compact(ctx.text) not in ("1", "2"):
        ctx.goto("none", town=town)
        return _list(ctx)
    if number(ctx.text, 2) == 2:
        ctx.goto("town")
        return say(ctx, "请回复乡镇名，例如：昆阳镇。")
    if number(ctx.text, 1) != 1 and not is_yes(ctx.text):
        return say(ctx, "回复 1 登记等候，或回复其他乡镇名。")
    entry = join_wait(ctx.session, ctx.openid, ctx.data["key"], ctx.data["device"], ctx.data["town"])
    ctx.end_flow()
    return say(ctx, f"已登记等候{entry.town}的{entry.device}，您排第 {position(ctx.session, entry)} 位。",
               "有人归还时会发消息通知您，先预约先得。", way_out=True)


@leavable
def ask_pick(ctx):
    ids = ctx.data.get("stock_ids") or []
    n = number(ctx.text, len(ids))
    if n is None:
        return say(ctx, f"请回复 1 到 {len(ids)} 的数字选择驿站。" if len(ids) > 1 else "请回复 1 选择这个驿站。")
    stock = ctx.session.get(AidStock, ids[n - 1])
    station = ctx.session.get(AidStation, stock.station_id)
    ctx.goto("confirm", stock_id=stock.id)
    return say(ctx, f"在{station.name}借{stock.device}，免费借用，最长 {stock.max_days} 天。",
               f"预约后请在 {service.PICKUP_DAYS} 天内去取，过期自动取消。", "确认预约请回复“确认”。")


@leavable
def ask_confirm(ctx):
    if not is_yes(ctx.text):
        return say(ctx, "确认预约请回复“确认”，不借了请回复“取消”。")
    try:
        loan = service.reserve(ctx.session, ctx.data["stock_id"], ctx.openid, ctx.data["key"])
    except service.AidError as exc:
        if exc.code == "already" and exc.loan is not None:
            ctx.end_flow()
            return say(ctx, f"您已经预约好了，借用码 {exc.loan.code}。", "回复“我的借用”可以查看。")
        reply = _list(ctx)
        reply.text = "很抱歉，刚刚被别人借走了。\n" + reply.text
        return reply
    close_wait(ctx.session, ctx.data["key"], loan.device)
    ctx.end_flow()
    return say(ctx, *reserved_lines(ctx, loan))


def reserved_lines(ctx, loan) -> list[str]:
    """The code, where and when to pick up (unknown station facts say 待公布 and give the way out)."""
    station = ctx.session.get(AidStation, loan.station_id)
    unknown = not (station.address and station.hours and station.phone)
    return [f"预约成功！借用码：{loan.code}", f"辅具：{loan.device}",
            f"驿站：{station.name}", f"地址：{station.address or PENDING}", f"开放时间：{station.hours or PENDING}",
            f"驿站电话：{station.phone or PENDING}", f"请在 {loan.pickup_by.month}月{loan.pickup_by.day}日 前去取，过期自动取消。",
            BRING, *([f"地址或时间不清楚的：{ctx.local.way_out()}"] if unknown else []),
            "不需要了请回复“取消借用”；回复“我的借用”可以查看。"]
