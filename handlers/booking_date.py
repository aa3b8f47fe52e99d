"""The second half of booking a home assessment visit: the open dates, the pick, the waitlist when a date
is full, the confirmation, then the idle "done" step (a double-tapped "确认" gets "已经预约好了").
The questions before it (reason, category, address, phone, town) are in handlers/booking.py.
"""
from __future__ import annotations

import datetime as dt
import logging

from bot.answers.voice_words import leavable
from bot.booking import residents, service, texts
from bot.booking import waitlist as queue
from bot.booking.models import AssessmentRound, Booking
from bot.booking.reminders import notify_booked
from bot.booking.rounds import open_rounds, places_left
from bot.booking.staff import REASONS
from bot.booking.texts import say as _say
from bot.db import utcnow
from bot.privacy.pii import decrypt
from bot.wechat.reply import Reply
from handlers.booking_manage import person_booked

log = logging.getLogger(__name__)
DONE_STEP_MINUTES = 10


def person_of(ctx):
    """The registered person booking (None: not registered, or the registration was deleted meanwhile)."""
    return residents.registered_person(ctx.session, ctx.settings.data_key, ctx.openid)


def no_rounds(ctx, town: str) -> Reply:
    """Nothing to book in the town: the flow ends, with who else to ask."""
    ctx.end_flow()
    return _say(ctx, f"{town}最近没有可以预约的上门评残。", "县残联安排好日期后会在这里开放预约。",
                "也可以找村（社区）或乡镇残联专职委员登记。", way_out=True)


def list_rounds(ctx) -> Reply:
    rounds = open_rounds(ctx.session, ctx.data["town"], ctx.data.get("category"))
    if not rounds:
        return no_rounds(ctx, ctx.data["town"])
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
        return list_rounds(ctx)
    if places_left(rnd) == 0:
        ctx.goto("waitlist", round_id=rnd.id)
        return _offer_waitlist(ctx, rnd)
    ctx.goto("confirm", round_id=rnd.id)
    key = ctx.settings.data_key
    note = ctx.data.get("reason_note")
    reason = REASONS[ctx.data["reason"]] + (f"（{note}）" if note else "")
    return _say(ctx, texts.summary(rnd, person_of(ctx).name, decrypt(key, ctx.data["address_enc"]),
                                   decrypt(key, ctx.data["phone_enc"]), ctx.data.get("category"), reason))


def _offer_waitlist(ctx, rnd: AssessmentRound, *first: str) -> Reply:
    return _say(ctx, *first, f"{texts.when(rnd)} 已满。", "回复 1 登记候补：有人取消时通知您，先确认先得。",
                "回复 2 选其他日期。")


@leavable
def waitlist(ctx):
    choice = texts.number(ctx.text, 2)
    if choice == 2:
        return list_rounds(ctx)
    if choice != 1 and not texts.is_yes(ctx.text):
        return _say(ctx, "回复 1 登记候补，回复 2 选其他日期。")
    entry = queue.join(ctx.session, ctx.data["round_id"], ctx.openid,
                                  residents.details(ctx, person_of(ctx)), ctx.settings.data_key)
    rnd = ctx.session.get(AssessmentRound, entry.round_id)
    ctx.end_flow()
    return _say(ctx, f"已登记候补：{texts.when(rnd)}，您排第 {queue.position(ctx.session, entry)} 位。",
                "有人取消时会发消息通知您。", "回复“我的预约”可以查看。", way_out=True)


@leavable
def confirm(ctx):
    if not texts.is_yes(ctx.text):
        return _say(ctx, "没问题请回复“确认”提交预约。", "不约了请回复“取消”。")
    person = person_of(ctx)
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
    reply = list_rounds(ctx)
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
