"""The main menu, the welcome, a human, and polite answers to media and events."""
from __future__ import annotations

import re

from bot.db import utcnow
from bot.answers.normalize import compact, pick_digits
from bot.engine.context import Ctx
from bot.engine.features import Feature
from bot.engine.router import handler
from bot.models import OutboxMessage
from bot.outbox.enqueue import enqueue_text
from bot.wechat.reply import Reply

MAIN_OPTIONS = [
    ["政策咨询：补贴、办证、康复、辅具", "menu:POLICY"],
    ["找工作", "menu:JOBS"],
    ["查残疾人证办理进度", "menu:CERT_STATUS"],
    ["预约上门评残", "menu:BOOK_ASSESS"],
    ["活动通知", "menu:NOTICES"],
    ["联系我们：地址、电话", "menu:CONTACT"],
    ["看看我能领哪些补贴", "menu:ENTITLE"],  # last, so the numbers residents already know stay
]


def numbered(lines: list[list[str]]) -> str:
    return "\n".join(f"{i}. {label}" for i, (label, _action) in enumerate(lines, 1))


def main_menu(ctx, intro: str = "请回复数字选择：", kind: str = "command") -> Reply:
    text = f"{intro}\n{numbered(MAIN_OPTIONS)}\n0. 转人工\n也可以直接打字或说话提问。"
    return Reply(text=text, options=MAIN_OPTIONS, meta={"kind": kind})


# Only emoji sent (no words: the menu's "?" keyword takes it), and sad ones: a word of care before the
# menu. Not an alert to staff: a crying face alone says too little, and the words that do are caught
# by bot/safety first.
SAD_EMOJI = re.compile("[\U0001F62D\U0001F622\U0001F63F\U0001F494\U0001F61E\U0001F614\U0001F623\U0001F616"
                       "\U0001F62B\U0001F629\U0001F97A\U0001F630\U0001F625\U0001F613\U0001F641\u2639]")
SAD_INTRO = ("看到您发了难过的表情。有什么难处，可以打字或发语音告诉我；想和工作人员说，回复 0 转人工。\n"
             "请回复数字选择：")


@handler(menu=("MAIN",), keywords=("菜单", "主菜单", "帮助", "功能", "?", "？", "help", "menu"))
def show_menu(ctx: Ctx) -> Reply | None:
    if not ctx.msg.is_event and SAD_EMOJI.search(ctx.text or ""):
        return main_menu(ctx, intro=SAD_INTRO)
    return main_menu(ctx)


# One digit only: "88" (and "886") is 拜拜 in chat, not item 88.
@handler(regex=r"^\s*(第)?[0-9０-９一二三四五六七八九](项|个)?\s*[。.]?\s*$")
def number_without_a_list(ctx: Ctx) -> Reply | None:
    """A number when no list was ever shown here (the menu read on a flyer, or days ago on another
    phone): the main menu's item, named back so the resident knows what the number picked."""
    digits = pick_digits(compact(ctx.text)).strip("第项个")
    if not digits.isdigit():
        return None
    index = int(digits) - 1
    if not 0 <= index < len(MAIN_OPTIONS):
        return main_menu(ctx, f"主菜单没有第 {digits} 项。请回复下面的数字：")
    label, action = MAIN_OPTIONS[index]
    return Reply(text=f"{digits}. {label}", meta={"kind": "command", "then": action})


@handler(event="subscribe")
def welcome(ctx: Ctx) -> Reply | None:
    ctx.follower.subscribed, ctx.follower.subscribed_at = True, utcnow()
    ctx.follower.unsubscribed_at = None
    if ctx.msg.event_key.startswith("qrscene_"):
        ctx.follower.scene = ctx.msg.event_key[len("qrscene_"):][:64]
    intro = ("您好，欢迎关注平阳县残联！\n"
             "我是残联的智能助手，可以回答残疾人政策问题、帮您找工作、查残疾人证办理进度、预约上门评残。\n"
             "打字或直接发语音都可以，例如说“残疾证怎么办”。\n"
             "不知道自己能领哪些补贴，回复“我能领什么”，回答几个问题就知道。\n"
             "底部菜单有“政策咨询”“办事服务”“就业活动”三栏。\n"
             "现在也可以回复数字：")
    return main_menu(ctx, intro)


@handler(event="unsubscribe")
def goodbye(ctx: Ctx) -> Reply | None:
    """Mark the follower; nothing more is sent (pending outbox rows are cancelled)."""
    ctx.follower.subscribed, ctx.follower.unsubscribed_at = False, utcnow()
    ctx.end_flow()
    ctx.session.query(OutboxMessage).filter(
        OutboxMessage.openid == ctx.openid, OutboxMessage.status == "pending").update(
        {"status": "cancelled", "last_error": "unsubscribed"}, synchronize_session=False)
    return Reply(silent=True, meta={"kind": "command"})


@handler(menu=("HUMAN",))
def human(ctx: Ctx) -> Reply | None:
    return hand_over(ctx)


def hand_over(ctx, intro: str = "") -> Reply:
    """Hand over to WeChat's customer-service system and send the phone as a message too."""
    local = ctx.local
    phone = local.office_phone
    text = (intro + "已为您转接人工客服，工作人员上班时间会尽快回复您。\n"
            + (f"着急的话请直接打县残联电话：{phone}" if phone else "着急的话请拨打 12345 政务服务热线转县残联。")
            + "\n想回到自助服务，回复“菜单”。")
    enqueue_text(ctx.session, ctx.openid, text, dedupe_key=f"human:{ctx.msg.dedup_key}", source="human")
    return Reply(transfer=True, text=text, meta={"kind": "command"})


@handler(menu=("*",))
def not_ready(ctx: Ctx) -> Reply | None:
    """Menu keys whose capability is not installed on this server."""
    return Reply(text=f"这个功能暂时还不能在线办理。\n{ctx.local.way_out()}", meta={"kind": "fallback"})


@handler(msg_type="voice_empty")
def voice_not_heard(ctx: Ctx) -> Reply | None:
    return Reply(text="抱歉，这段语音没有听清。\n请再说一次，说慢一点、离手机近一点，或者直接打字。\n"
                      + ctx.local.way_out(), meta={"kind": "fallback"})


@handler(msg_type="image")
@handler(msg_type="video")
@handler(msg_type="shortvideo")
def media_received(ctx: Ctx) -> Reply | None:
    return Reply(text="收到您发的图片或视频，谢谢。\n我只能看懂文字和语音，请用文字或语音说一下您要办什么。\n"
                      "需要工作人员看材料，请" + ctx.local.way_out(), meta={"kind": "fallback"})


@handler(msg_type="location")
def location_received(ctx: Ctx) -> Reply | None:
    msg = ctx.msg
    ctx.follower.latitude, ctx.follower.longitude = msg.latitude, msg.longitude
    where = f"（{msg.label}）" if msg.label else ""
    return Reply(text=f"收到您的位置{where}，谢谢。\n您想办什么事？可以直接打字或说话，或回复“菜单”。",
                 meta={"kind": "command"})


@handler(msg_type="link")
def link_received(ctx: Ctx) -> Reply | None:
    return Reply(text="收到您分享的链接，谢谢。\n如有问题，请直接用文字或语音告诉我。\n" + ctx.local.way_out(),
                 meta={"kind": "fallback"})


@handler(msg_type="*")
def unknown_type(ctx: Ctx) -> Reply | None:
    return Reply(text="收到。这类消息我暂时看不懂，请用文字或语音告诉我您要办什么。\n" + ctx.local.way_out(),
                 meta={"kind": "fallback"})


@handler(event="location")
def location_reported(ctx: Ctx) -> Reply | None:
    """Periodic location reports (if enabled in the back office): remember, stay silent."""
    ctx.follower.latitude, ctx.follower.longitude = ctx.msg.latitude, ctx.msg.longitude
    return Reply(silent=True, meta={"kind": "command"})


@handler(event="scan")
def scanned(ctx: Ctx) -> Reply | None:
    return main_menu(ctx, "欢迎回来！请回复数字选择：")


@handler(event="*")
def other_event(ctx: Ctx) -> Reply | None:
    """VIEW clicks, send-job reports and the many other events need no answer."""
    return Reply(silent=True, meta={"kind": "command"})


FEATURE = Feature(
    name="menu",
    handlers=(show_menu, number_without_a_list, welcome, goodbye, human, not_ready, voice_not_heard,
              media_received, location_received, link_received, unknown_type, location_reported, scanned,
              other_event),
)
