"""Borrowing assistive devices from the sharing stations (共享辅具驿站, bot.aids): chat, ticks, CLI, console."""
from __future__ import annotations

from bot.aids import flow, notices, service
from bot.cli.aids import aids as aids_cli
from bot.aids.models import AidLoan, AidStation
from bot.booking.texts import number, say
from bot.engine.features import Feature, Tick
from bot.engine.flows import Flow
from bot.engine.router import handler

# Questions about the stations (押金, 多久, 几点…) stay with the knowledge answer aids.sharing.
ASKING = ("押金", "多长时间", "多久", "几点", "开门", "捐", "规则", "收费", "要钱", "没有残疾证", "怎么借",
          "怎么还", "去哪还", "哪里还", "还到哪", "归还")
WHY_NOT = {"extended": "这件辅具已经续借过一次了，不能再续借。",
           "waited_for": "这种辅具有人在排队等，暂时不能续借，请按时归还。",
           "not_active": "这件辅具已经归还或不在借出中。"}


# After registering inline the resident comes back through "menu:AIDS_BORROW_<n>" (n: the device asked for).
BACK = tuple(f"AIDS_BORROW_{i}" for i in range(1, len(service.DEVICES) + 1))


@handler(menu=("AIDS_BORROW", *BACK), keywords=("借辅具", "借轮椅", "我要借轮椅", "借助行器", "借拐杖", "借护理床",
                                          "借坐便椅", "共享辅具借用"),
         regex=flow.ENTRY, fuzzy=("借轮椅", "借辅具"), action="aids_start")
def aids_start(ctx):
    if ctx.match is not None and ctx.match.how == "regex" and any(w in ctx.text for w in ASKING):
        return None  # a question about the rules: the knowledge answer (it points back here)
    asked = ctx.action_arg.rpartition("_")[2] if ctx.action_arg.startswith("AIDS_BORROW_") else ""
    device = flow.device_in(ctx.text or "") or (service.DEVICES[int(asked) - 1] if asked.isdigit() else None)
    return flow.start(ctx, device)


def _line(ctx, i: int, loan: AidLoan) -> str:
    station = ctx.session.get(AidStation, loan.station_id)
    when = (f"请在 {loan.pickup_by.month}月{loan.pickup_by.day}日 前去取" if loan.status == "reserved"
            else f"请在 {loan.due.month}月{loan.due.day}日 前归还")
    return f"{i}. {loan.device}，借用码 {loan.code}，{station.name}，{when}"


@handler(keywords=("我的借用", "我借的辅具", "我借的轮椅", "借用记录", "查借用"))
def my_loans(ctx):
    loans = service.active_loans(ctx.session, ctx.openid)
    if not loans:
        return say(ctx, "您现在没有预约或借用的辅具。", "想借，回复“借轮椅”或“借辅具”。")
    return say(ctx, "您预约和借用的辅具：", *(_line(ctx, i, l) for i, l in enumerate(loans, 1)),
               "取消预约请回复“取消借用”，要延长请回复“续借”。", way_out=True)


@handler(keywords=("取消借用", "取消借辅具", "取消借轮椅", "取消辅具预约", "不借了"))
def cancel_start(ctx):
    reserved = [l for l in service.active_loans(ctx.session, ctx.openid) if l.status == "reserved"]
    if not reserved:
        return say(ctx, "您没有还没取走的辅具预约。", "已经借走的，请按时还到驿站。", way_out=True)
    ctx.start_flow(cancel_flow, "pick", loan_ids=[l.id for l in reserved])
    return say(ctx, "要取消哪一个预约？请回复数字：", *(_line(ctx, i, l) for i, l in enumerate(reserved, 1)),
               "不取消请回复“退出”。")


def _picked_loan(ctx, not_now: str):
    """The loan id the number answers (the flow ends), or the re-ask reply for anything else."""
    ids = ctx.data.get("loan_ids") or []
    n = number(ctx.text, len(ids))
    if n is None:
        return None, say(ctx, f"请回复 1 到 {len(ids)} 的数字，{not_now}请回复“退出”。")
    ctx.end_flow()
    return ids[n - 1], None


def cancel_pick(ctx):
    loan_id, again = _picked_loan(ctx, "不取消")
    if again:
        return again
    try:
        loan = service.cancel(ctx.session, loan_id, f"resident:{ctx.openid}")
    except service.AidError:
        return say(ctx, "这个预约已经取走或取消了。", "回复“我的借用”可以查看。")
    return say(ctx, f"已取消{loan.device}的预约，借用码 {loan.code}。", "需要时再回复“借轮椅”或“借辅具”。")


@handler(keywords=("续借", "我要续借", "续借轮椅", "续借辅具", "延长借用", "还想再借一段时间", "晚点还"))
def extend_start(ctx):
    out = [l for l in service.active_loans(ctx.session, ctx.openid) if l.status == "picked_up"]
    if not out:
        return say(ctx, "您现在没有借出中的辅具。", "还没取走的预约不用续借，按时去取就可以。", way_out=True)
    ctx.start_flow(extend_flow, "pick", loan_ids=[l.id for l in out])
    return say(ctx, "可以续借一次，延长一个借期。有人排队等的辅具不能续借。", "要续借哪一件？请回复数字：",
               *(_line(ctx, i, l) for i, l in enumerate(out, 1)), "不续借请回复“退出”。")


def extend_pick(ctx):
    loan_id, again = _picked_loan(ctx, "不续借")
    if again:
        return again
    try:
        loan = service.extend(ctx.session, loan_id, f"resident:{ctx.openid}")
    except service.AidError as exc:
        return say(ctx, WHY_NOT.get(exc.code, "没能续借。"), way_out=True)
    return say(ctx, f"已续借：{loan.device}，借用码 {loan.code}。", f"新的归还日期：{loan.due.month}月{loan.due.day}日。")


borrow_flow = Flow(
    "aids", entry=(aids_start,),
    steps={"device": flow.ask_device, "town": flow.ask_town, "none": flow.ask_none, "pick": flow.ask_pick,
           "confirm": flow.ask_confirm},
    timeout_minutes=30, on_cancel="好的，不借了，没有预约。",
    on_timeout="上次借辅具超过 30 分钟没有完成，已自动取消。需要时请回复“借轮椅”或“借辅具”。")
cancel_flow = Flow("aids_cancel", entry=(cancel_start,), steps={"pick": cancel_pick}, timeout_minutes=10,
                   on_cancel="好的，预约保留，没有取消。")
extend_flow = Flow("aids_extend", entry=(extend_start,), steps={"pick": extend_pick}, timeout_minutes=10,
                   on_cancel="好的，不续借，归还日期不变。")


def _expire(rt):
    return notices.expire_pickups(rt.sessions, rt.clock(), rt.settings.knowledge_dir)


def _remind(rt):
    return notices.send_due_reminders(rt.sessions, rt.clock(), rt.settings.knowledge_dir)


FEATURE = Feature(
    name="aids",
    handlers=(cancel_start, extend_start, my_loans, aids_start),
    flows=(cancel_flow, extend_flow, borrow_flow),
    ticks=(Tick("aids.expire_pickups", _expire, 3600), Tick("aids.due_reminders", _remind, 900)),
    forgetters=(("辅具借用记录：没取的预约已取消，借走未还的记录留到归还", notices.forget),),
    cli=(aids_cli,),
    pages=("bot.admin.views.aids",),
)
