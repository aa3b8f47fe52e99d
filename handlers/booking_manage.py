"""Chat handlers for an existing booking: 我的预约, 取消预约 (with confirmation), 改约, 候补确认.

Its handlers and flows are part of the "booking" feature (handlers/booking.py declares it).
"""
from __future__ import annotations

import logging

from bot.answers.normalize import compact
from bot.booking import identity, residents, service, texts
from bot.booking import waitlist as queue
from bot.booking.models import AssessmentRound, Booking, Waitlist
from bot.booking.rounds import cancel_deadline, open_rounds, places_left, serves
from bot.booking.staff import details_of
from bot.booking.texts import say as _say
from bot.db import utcnow
from bot.engine.context import Ctx
from bot.engine.flows import Flow
from bot.engine.router import handler
from bot.privacy.audit import audit
from bot.privacy.pii import decrypt, mask_phone
from bot.wechat.reply import Reply

log = logging.getLogger(__name__)
CANCEL_YES = {"确认取消", "取消吧", "要取消", "取消预约", "确定取消"}
MANAGE = [["改约（换一天）", "booking_resched:"], ["取消预约", "booking_cancel:"], ["主菜单", "menu:MAIN"]]


def _numbered(options) -> list[str]:
    return [f"回复 {i}：{label}" for i, (label, _a) in enumerate(options, 1)]


def _show(ctx, booking: Booking, head: str) -> Reply:
    rnd = ctx.session.get(AssessmentRound, booking.round_id)
    key = ctx.settings.data_key
    return _say(ctx, head, f"日期：{texts.when(rnd)}", f"预约码：{booking.code}",
                f"地址：{decrypt(key, booking.address_enc) or ''}",
                f"电话：{mask_phone(decrypt(key, booking.phone_enc))}",
                f"{texts.deadline(rnd)} 前可以改约或取消。", *_numbered(MANAGE), options=MANAGE)


def already_booked(ctx, booking: Booking) -> Reply:
    """One active booking per resident: show it instead of starting another."""
    return _show(ctx, booking, "您已经有一个上门评残预约：")


def person_booked(ctx, booking: Booking) -> Reply:
    """The same ID number already has a visit, booked from another WeChat account: say so plainly,
    with the date only (never who booked it, the code or the address), and offer a person."""
    if booking.openid == ctx.openid:  # their own, made before their registration was confirmed
        ctx.end_flow()
        return already_booked(ctx, booking)
    rnd = ctx.session.get(AssessmentRound, booking.round_id)
    ctx.end_flow()
    # Staff see the attempt next to the booking: one of the two may not be who they say.
    audit(ctx.session, f"resident:{ctx.openid}", identity.REFUSED, f"booking:{booking.id}")
    return _say(ctx, f"这位居民已经预约了 {texts.when(rnd)} 的上门评残，不能重复预约。",
                "预约是用别的微信号办的。如果不是您家里人约的，或者要改日期，请找工作人员核对。", way_out=True)


@handler(menu=("MY_BOOKING",), keywords=("我的预约", "查预约", "查看预约", "预约查询", "查询预约", "我的评残预约"),
         fuzzy=("我的预约",))
def my_booking(ctx: Ctx) -> Reply | None:
    booking = service.active_booking(ctx.session, residents.key_for(ctx))
    if booking is not None:
        return _show(ctx, booking, "您的上门评残预约：")
    entry = queue.entry_for(ctx.session, residents.key_for(ctx))
    if entry is not None:
        rnd = ctx.session.get(AssessmentRound, entry.round_id)
        lines = ([f"{texts.when(rnd)} 有空位了，回复“候补确认”马上预约。"] if entry.status == "offered" else
                 [f"您在 {texts.when(rnd)} 的候补名单上，排第 {queue.position(ctx.session, entry)} 位。",
                  "有人取消时会通知您。"])
        return _say(ctx, *lines)
    offer = [["预约上门评残", "menu:BOOK_ASSESS"]]
    return _say(ctx, "您现在没有上门评残预约。", *_numbered(offer), options=offer)


@handler(keywords=("取消预约", "取消评残预约", "取消上门评残", "不预约了", "取消上门"), action="booking_cancel")
def cancel_start(ctx: Ctx) -> Reply | None:
    booking = service.active_booking(ctx.session, residents.key_for(ctx))
    if booking is None:
        return _say(ctx, "您现在没有上门评残预约，不用取消。", way_out=True)
    rnd = ctx.session.get(AssessmentRound, booking.round_id)
    if utcnow() >= cancel_deadline(rnd):
        return _say(ctx, f"网上取消的时间已经过了（截止 {texts.deadline(rnd)}）。",
                    "请打电话告诉县残联，或转人工处理。", way_out=True)
    ctx.start_flow(cancel_flow, "confirm", booking_id=booking.id)
    return _say(ctx, f"要取消 {texts.when(rnd)} 的上门评残预约吗？", "回复 1 确认取消", "回复 2 不取消")


def cancel_confirm(ctx):
    word = compact(ctx.text)
    if texts.is_no(ctx.text) or word.startswith(("不", "别")):
        ctx.end_flow()
        return _say(ctx, "好的，预约保留。")
    if not (texts.is_yes(ctx.text) or word in CANCEL_YES):
        return _say(ctx, "回复 1 确认取消，回复 2 不取消。")
    booking_id = ctx.data["booking_id"]
    ctx.end_flow()
    try:
        booking = service.cancel(ctx.session, booking_id, f"resident:{ctx.openid}", "本人取消")
    except service.BookingError as exc:
        if exc.code == "too_late":
            return _say(ctx, "网上取消的时间已经过了，请打电话告诉县残联。", way_out=True)
        return _say(ctx, "这个预约已经取消了。", "回复“预约评残”可以重新预约。")
    rnd = ctx.session.get(AssessmentRound, booking.round_id)
    return _say(ctx, f"已取消 {texts.when(rnd)} 的上门评残预约。", "以后需要，回复“预约评残”重新预约。")


@handler(keywords=("改约", "改期", "改预约", "更改预约", "修改预约", "换个日期", "换一天", "改时间", "改日期"),
         action="booking_resched")
def resched_start(ctx: Ctx) -> Reply | None:
    booking = service.active_booking(ctx.session, residents.key_for(ctx))
    if booking is None:
        offer = [["预约上门评残", "menu:BOOK_ASSESS"]]
        return _say(ctx, "您现在没有上门评残预约。", *_numbered(offer), options=offer)
    old = ctx.session.get(AssessmentRound, booking.round_id)
    if utcnow() >= cancel_deadline(old):
        return _say(ctx, f"网上改约的时间已经过了（截止 {texts.deadline(old)}）。", "请打电话告诉县残联。",
                    way_out=True)
    rounds = [r for r in open_rounds(ctx.session, booking.town, any_category=True)
              if r.id != old.id and serves(r, booking.town, booking.category) and places_left(r) > 0][:9]
    if not rounds:
        return _say(ctx, f"现在没有别的日期可以改，您的预约还是 {texts.when(old)}。", way_out=True)
    ctx.start_flow(resched_flow, "pick", booking_id=booking.id, round_ids=[r.id for r in rounds])
    return _say(ctx, f"现在约的是 {texts.when(old)}。", "可以改到：",
                *(texts.round_line(i, r) for i, r in enumerate(rounds, 1)), "请回复数字选择。")


def resched_pick(ctx):
    ids = ctx.data["round_ids"]
    n = texts.number(ctx.text, len(ids))
    if n is None:
        return _say(ctx, f"请回复 1 到 {len(ids)} 的数字选择新日期。")
    ctx.goto("confirm", round_id=ids[n - 1])
    rnd = ctx.session.get(AssessmentRound, ids[n - 1])
    return _say(ctx, f"改到 {texts.when(rnd)}，对吗？", "回复 1 确认改约", "回复 2 不改了")


def resched_confirm(ctx):
    if texts.is_no(ctx.text):
        ctx.end_flow()
        return _say(ctx, "好的，预约不变。")
    if not texts.is_yes(ctx.text):
        return _say(ctx, "回复 1 确认改约，回复 2 不改了。")
    booking_id, round_id = ctx.data["booking_id"], ctx.data["round_id"]
    ctx.end_flow()
    try:
        booking = service.reschedule(ctx.session, booking_id, round_id, f"resident:{ctx.openid}")
    except service.BookingError as exc:
        log.info("reschedule refused: %s", exc.code)
        reason = {"full": "这个日期刚刚约满了。", "too_late": "网上改约的时间已经过了。"}.get(exc.code, "这个日期不能改约了。")
        return _say(ctx, reason, "原来的预约不变，回复“我的预约”查看。", way_out=True)
    rnd = ctx.session.get(AssessmentRound, booking.round_id)
    return _say(ctx, "改约成功！", f"新日期：{texts.when(rnd)}", f"预约码不变：{booking.code}",
                f"{texts.deadline(rnd)} 前还可以再改或取消。")


# Timeouts must not say "已自动取消" here: the resident would think the booking is gone.
cancel_flow = Flow("booking_cancel", entry=(cancel_start,), steps={"confirm": cancel_confirm},
                   timeout_minutes=10,
                   on_timeout="上次取消预约没有确认，您的上门评残预约仍然保留。",
                   on_cancel="好的，没有取消预约，您的上门评残预约仍然保留。")
resched_flow = Flow("booking_resched", entry=(resched_start,),
                    steps={"pick": resched_pick, "confirm": resched_confirm}, timeout_minutes=15,
                    on_timeout="上次改约没有确认，原来的预约不变。", on_cancel="好的，不改约了，原来的预约不变。")


def confirm_waitlist(session, entry: Waitlist, openid: str, data_key: str, now=None) -> Booking:
    """The offered resident says yes: first to confirm gets the place (a plain conditional book)."""
    booking = service.book(session, entry.round_id, openid, details_of(entry, data_key), data_key, now)
    entry.status = "booked"
    return booking


@handler(keywords=("候补确认", "确认候补", "我要候补名额"), fuzzy=("候补确认",))
def waitlist_confirm(ctx: Ctx) -> Reply | None:
    entry: Waitlist | None = queue.entry_for(ctx.session, residents.key_for(ctx))
    if entry is None or entry.status != "offered":
        return _say(ctx, "您现在没有空位通知。", "回复“我的预约”查看预约和候补。", way_out=True)
    try:
        booking = confirm_waitlist(ctx.session, entry, ctx.openid, ctx.settings.data_key)
    except service.BookingError as exc:
        if exc.code == "already_booked" and exc.booking is not None:
            return already_booked(ctx, exc.booking)
        if exc.code == "person_booked" and exc.booking is not None:
            entry.status = "closed"  # this person has a visit: the queue place goes to the next one
            return person_booked(ctx, exc.booking)
        rnd = ctx.session.get(AssessmentRound, entry.round_id)
        entry.status = "waiting"  # keeps its place in the queue for the next freed place
        if exc.code == "full":
            return _say(ctx, "很抱歉，空位已经被先确认的人约走了。",
                        f"您还在 {texts.when(rnd)} 的候补名单上，再有空位会通知您。")
        return _say(ctx, "这个日期已经停止预约了。", "回复“预约评残”看看其他日期。", way_out=True)
    rnd = ctx.session.get(AssessmentRound, booking.round_id)
    address = decrypt(ctx.settings.data_key, booking.address_enc) or ""
    return _say(ctx, texts.booked_text(booking, rnd, address))
