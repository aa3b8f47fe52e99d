"""Booking a home assessment visit (上门评残) by chat: reason → category → address → phone → (town) →
round → confirm. Entry words are commands ("预约评残"); "上门评残怎么申请" stays with the policy answers.
After success the flow idles in "done" so a double-tapped "确认" gets "已经预约好了"; anything else leaves it.
"""
from __future__ import annotations

import datetime as dt
import logging

from bot.engine.context import Ctx
from bot.booking import hooks, residents, service, texts
from bot.booking import waitlist as queue
from bot.booking.identity import person_booking
from bot.booking.models import AssessmentRound, Booking
from bot.booking.reminders import notify_booked
from bot.booking.rounds import CATEGORIES, open_rounds, places_left
from bot.booking.staff import REASONS
from bot.booking.texts import say as _say
from bot.cli.booking import rounds as rounds_cli
from bot.db import utcnow
from bot.engine.features import Feature
from bot.engine.flows import Flow, keep_out_of_log
from bot.privacy.pii import decrypt, encrypt, mask_phone, scrub
from bot.wechat.reply import Reply
from bot.engine.router import handler
from bot.answers.towns import match_town
from bot.answers.voice_words import leavable
from handlers.booking_manage import (already_booked, cancel_flow, cancel_start, my_booking, person_booked,
                                     resched_flow, resched_start, waitlist_confirm)

log = logging.getLogger(__name__)
DONE_STEP_MINUTES = 10


def _person(ctx):
    return residents.registered_person(ctx.session, ctx.settings.data_key, ctx.openid)


def _known(ctx, field: str) -> str | None:
    """The registered address or phone, offered as "回复 1 使用：…" (None when not registered)."""
    return getattr(_person(ctx), field, None)


@handler(menu=("BOOK_ASSESS",), keywords=("预约评残", "上门评残预约", "预约上门", "预约上门评残", "我要预约评残",
                                          "评残预约", "我要预约上门评残", "预约评残上门", "预约入户评残"),
         fuzzy=("预约评残", "预约上门评残", "上门评残预约"), action="booking_start")
def start(ctx: Ctx) -> Reply | None:
    person = _person(ctx)
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
        return _no_rounds(ctx, town)
    ctx.start_flow(booking, "reason", town=town)
    lines = [f"{i}. {label}" for i, (_c, label) in enumerate(texts.REASON_CHOICES, 1)]
    return _say(ctx, "好的，帮您预约上门评残（评定医生到家里来）。", "为什么需要上门？请回复数字：", *lines,
                "中途回复“取消”可以退出。")


def _no_rounds(ctx, town: str) -> Reply:
    ctx.end_flow()
    return _say(ctx, f"{town}最近没有可以预约的上门评残。", "县残联安排好日期后会在这里开放预约。",
                "也可以找村（社区）或乡镇残联专职委员登记。", way_out=True)


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


@leavable
def ask_reason_note(ctx):
    ctx.goto("category", reason_note=scrub(ctx.text)[:100])  # staff read it; numbers stay out
    return _ask_category(ctx)


def _ask_category(ctx) -> Reply:
    lines = [f"{code}. {name}" for code, name in CATEGORIES.items()] + ["8. 不清楚"]
    known = getattr(_person(ctx), "disability_category", None)
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


@leavable
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
    return _list_rounds(ctx)


@leavable
def ask_town(ctx):
    town = match_town(ctx.settings.knowledge_dir, ctx.text)
    if town is None:
        return _say(ctx, "没有听出是哪个乡镇，请再说一次，例如：昆阳镇、鳌江镇。")
    ctx.goto("town", town=town)
    return _list_rounds(ctx)


def _list_rounds(ctx) -> Reply:
    rounds = open_rounds(ctx.session, ctx.data["town"], ctx.data.get("category"))
    if not rounds:
        return _no_rounds(ctx, ctx.data["town"])
    ctx.goto("pick", round_ids=[r.id for r in rounds[:9]])
    lines = [texts.round_line(i, r) for i, r in enumerate(rounds[:9], 1)]
    return _say(ctx, "可以预约的日期：", *lines, "请回复数字选择。")


@leavable
def pick_round(ctx):
    ids = ctx.data.get("round_ids") or []
    n = texts.number(ctx.text, len(ids))
    if n is None:
        return _say(ctx, f"请回复 1 到 {len(ids)} 的数字选择日期。" if len(ids) > 1 else "请回复 1 选择这个日期。",
                    "不约了请回复“取消”。")
    rnd = ctx.session.get(AssessmentRound, ids[n - 1])
    if rnd is None or rnd not in open_rounds(ctx.session, ctx.data["town"], ctx.data.get("category")):
        return _list_rounds(ctx)
    if places_left(rnd) == 0:
        ctx.goto("waitlist", round_id=rnd.id)
        return _offer_waitlist(ctx, rnd)
    ctx.goto("confirm", round_id=rnd.id)
    key = ctx.settings.data_key
    note = ctx.data.get("reason_note")
    reason = REASONS[ctx.data["reason"]] + (f"（{note}）" if note else "")
    return _say(ctx, texts.summary(rnd, _person(ctx).name, decrypt(key, ctx.data["address_enc"]),
                                   decrypt(key, ctx.data["phone_enc"]), ctx.data.get("category"), reason))


def _offer_waitlist(ctx, rnd: AssessmentRound, *first: str) -> Reply:
    return _say(ctx, *first, f"{texts.when(rnd)} 已满。", "回复 1 登记候补：有人取消时通知您，先确认先得。",
                "回复 2 选其他日期。")


@leavable
def waitlist(ctx):
    choice = texts.number(ctx.text, 2)
    if choice == 2:
        return _list_rounds(ctx)
    if choice != 1 and not texts.is_yes(ctx.text):
        return _say(ctx, "回复 1 登记候补，回复 2 选其他日期。")
    entry = queue.join(ctx.session, ctx.data["round_id"], ctx.openid,
                                  residents.details(ctx, _person(ctx)), ctx.settings.data_key)
    rnd = ctx.session.get(AssessmentRound, entry.round_id)
    ctx.end_flow()
    return _say(ctx, f"已登记候补：{texts.when(rnd)}，您排第 {queue.position(ctx.session, entry)} 位。",
                "有人取消时会发消息通知您。", "回复“我的预约”可以查看。", way_out=True)


@leavable
def confirm(ctx):
    if not texts.is_yes(ctx.text):
        return _say(ctx, "没问题请回复“确认”提交预约。", "不约了请回复“取消”。")
    person = _person(ctx)
    if person is None:  # registration deleted meanwhile
        ctx.end_flow()
        return _say(ctx, "没有找到您的注册信息，请重新注册后再预约。", way_out=True)
    details = residents.details(ctx, person)
    try:
        made = service.book(ctx.session, ctx.data["round_id"], ctx.openid, details, ctx.settings.data_key)
    except service.BookingError as exc:
        return _not_booked(ctx, exc)
    if details.address != (person.address or ""):
        residents.save_address(ctx.session, ctx.settings.data_key, ctx.openid, details.address)
    rnd = ctx.session.get(AssessmentRound, made.round_id)
    notify_booked(ctx.session, made, rnd)
    ctx.goto("done", booking_id=made.id)
    ctx.state.expires_at = None  # "done" only answers a repeated 确认; anything else leaves it
    return _done_reply(ctx, made, rnd, first=True)


def _not_booked(ctx, exc: service.BookingError) -> Reply:
    if exc.code == "already_booked" and exc.booking is not None:
        rnd = ctx.session.get(AssessmentRound, exc.booking.round_id)
        ctx.goto("done", booking_id=exc.booking.id)
        ctx.state.expires_at = None
        return _done_reply(ctx, exc.booking, rnd, first=False)
    if exc.code == "person_booked" and exc.booking is not None:
        return person_booked(ctx, exc.booking)
    if exc.code == "full":
        rnd = ctx.session.get(AssessmentRound, ctx.data["round_id"])
        ctx.goto("waitlist")
        return _offer_waitlist(ctx, rnd, "很抱歉，最后的名额刚刚被别人约走了。")
    log.info("booking refused: %s", exc.code)
    reply = _list_rounds(ctx)
    reply.text = "这个日期已经停止预约了。\n" + reply.text
    return reply


def _done_reply(ctx, made: Booking, rnd: AssessmentRound, first: bool) -> Reply:
    address = decrypt(ctx.settings.data_key, made.address_enc) or ""
    return _say(ctx, texts.booked_text(made, rnd, address, first=first))


def done(ctx):
    made = ctx.session.get(Booking, ctx.data.get("booking_id") or 0)
    fresh = made is not None and utcnow() - made.created_at < dt.timedelta(minutes=DONE_STEP_MINUTES)
    if not (texts.is_yes(ctx.text) and fresh and made.status == "booked"):
        ctx.end_flow()
        return None  # the engine routes this message as if no flow were active
    return _done_reply(ctx, made, ctx.session.get(AssessmentRound, made.round_id), first=False)


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
