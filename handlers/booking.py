"""Booking a home assessment visit (上门评残) by chat: reason → category → address → phone → (town) →
round → confirm. Entry words are commands ("预约评残"); "上门评残怎么申请" stays with the policy answers.
Here: the entry and the questions, the flow's declaration and the feature; choosing the date, the
waitlist, confirming and the idle "done" step are in handlers/booking_date.py.
"""
from __future__ import annotations

from bot.answers.towns import match_town
from bot.answers.voice_words import leavable
from bot.booking import hooks, residents, service, texts
from bot.booking.identity import person_booking
from bot.booking.rounds import CATEGORIES, open_rounds
from bot.booking.texts import say as _say
from bot.cli.booking import rounds as rounds_cli
from bot.engine.context import Ctx
from bot.engine.features import Feature
from bot.engine.flows import Flow, keep_out_of_log
from bot.engine.router import handler
from bot.privacy.pii import encrypt, mask_phone, scrub
from bot.wechat.reply import Reply
from handlers.booking_date import confirm, done, list_rounds, no_rounds, person_of, pick_round, waitlist
from handlers.booking_manage import (already_booked, cancel_flow, cancel_start, my_booking, person_booked,
                                     resched_flow, resched_start, waitlist_confirm)


def _known(ctx, field: str) -> str | None:
    """The registered address or phone, offered as "回复 1 使用：…" (None when not registered)."""
    return getattr(person_of(ctx), field, None)


@handler(menu=("BOOK_ASSESS",), keywords=("预约评残", "上门评残预约", "预约上门", "预约上门评残", "我要预约评残",
                                          "评残预约", "我要预约上门评残", "预约评残上门", "预约入户评残"),
         fuzzy=("预约评残", "预约上门评残", "上门评残预约"), action="booking_start")
def start(ctx: Ctx) -> Reply | None:
    person = person_of(ctx)
    if person is None:
        return residents.start_registration(ctx, then="BOOK_ASSESS")
    current = service.active_booking(ctx.session, residents.resident_key(person, ctx.openid))
    if current is not None:
        return already_booked(ctx, current)
    twin = person_booking(ctx.session, residents.identity_key(person))
    if twin is not None:  # one visit per person, whichever WeChat user booked it
        return person_booked(ctx, twin)
    town = person.town
    if town and not open_rounds(ctx.session, town, any_category=True):
        return no_rounds(ctx, town)
    ctx.start_flow(booking, "reason", town=town)
    lines = [f"{i}. {label}" for i, (_c, label) in enumerate(texts.REASON_CHOICES, 1)]
    return _say(ctx, "好的，帮您预约上门评残（评定医生到家里来）。", "为什么需要上门？请回复数字：", *lines,
                "中途回复“取消”可以退出。")


@leavable
def ask_reason(ctx):
    reason = texts.parse_reason(ctx.text)
    if reason is None:
        return _say(ctx, "请回复 1、2、3 或 4：", *(f"{i}. {label}" for i, (_c, label)
                                                  in enumerate(texts.REASON_CHOICES, 1)))
    if reason == "other":
        ctx.goto("reason_note", reason=reason)
        return _say(ctx, "请用一句话说一下原因。")
    ctx.goto("category", reason=reason)
    return _ask_category(ctx)


@leavable(free_text=True)
def ask_reason_note(ctx):
    ctx.goto("category", reason_note=scrub(ctx.text)[:100])  # staff read it; numbers stay out
    return _ask_category(ctx)


def _ask_category(ctx) -> Reply:
    lines = [f"{code}. {name}" for code, name in CATEGORIES.items()] + ["8. 不清楚"]
    known = getattr(person_of(ctx), "disability_category", None)
    hint = [f"（残疾人证上登记的是：{known}. {CATEGORIES[known]}）"] if known in CATEGORIES else []
    return _say(ctx, "是哪一类残疾？请回复数字：", *lines, *hint)


@leavable
def ask_category(ctx):
    category = texts.parse_category(ctx.text)
    if category is None:
        return _say(ctx, "请回复 1 到 8 的数字，不清楚就回复 8。")
    ctx.goto("address", category=None if category == "unknown" else category)
    known = _known(ctx, "address")
    if known:
        return _say(ctx, "评定医生上门的地址：", f"回复 1 使用：{known}", "或者直接输入新地址（乡镇、村、门牌号）。")
    return _say(ctx, "请输入评定医生上门的地址（乡镇、村、门牌号）。")


@leavable(free_text=True)
def ask_address(ctx):
    keep_out_of_log(ctx, "地址")
    known = _known(ctx, "address")
    address = known if known and texts.number(ctx.text, 1) == 1 else ctx.text.strip()
    if len(address) < 4 or address.isdigit():
        return _say(ctx, "地址太短了，请写上乡镇、村和门牌号。")
    # A typed address that names a town wins over the registered one (the resident may have moved).
    town = match_town(ctx.settings.knowledge_dir, address) or ctx.data.get("town")
    ctx.goto("phone", address_enc=encrypt(ctx.settings.data_key, address[:200]), town=town)
    return _ask_phone(ctx)


def _ask_phone(ctx) -> Reply:
    known = _known(ctx, "phone")
    if known:
        return _say(ctx, "联系电话：", f"回复 1 使用 {mask_phone(known)}", "或者输入新的电话号码。")
    return _say(ctx, "请输入联系电话，评定医生出发前会打给您。")


@leavable
def ask_phone(ctx):
    keep_out_of_log(ctx)
    known = _known(ctx, "phone")
    phone = known if known and texts.number(ctx.text, 1) == 1 else texts.clean_phone(ctx.text)
    if not phone:
        return _say(ctx, "电话号码好像不对，请再输一次（手机 11 位，座机可以带区号）。")
    ctx.goto("town", phone_enc=encrypt(ctx.settings.data_key, phone))
    if not ctx.data.get("town"):
        return _say(ctx, "您住在哪个乡镇？例如：鳌江镇。")
    return list_rounds(ctx)


@leavable
def ask_town(ctx):
    town = match_town(ctx.settings.knowledge_dir, ctx.text)
    if town is None:
        return _say(ctx, "没有听出是哪个乡镇，请再说一次，例如：昆阳镇、鳌江镇。")
    ctx.goto("town", town=town)
    return list_rounds(ctx)


booking = Flow(
    "booking", entry=(start,),
    steps={"reason": ask_reason, "reason_note": ask_reason_note, "category": ask_category,
           "address": ask_address, "phone": ask_phone, "town": ask_town, "pick": pick_round,
           "waitlist": waitlist, "confirm": confirm, "done": done},
    timeout_minutes=30, on_timeout="上次的评残预约超过 30 分钟没有完成，已自动取消。需要时请重新回复“预约评残”。")

FEATURE = Feature(
    name="booking",
    handlers=(cancel_start, my_booking, resched_start, waitlist_confirm, start),
    flows=(cancel_flow, resched_flow, booking),
    ticks=hooks.TICKS, audiences=hooks.AUDIENCES, forgetters=hooks.FORGETTERS,
    cli=(rounds_cli,), pages=("bot.admin.views.booking", "bot.admin.views.calls"),
)
