"""Registration, certificate progress, unbinding and deleting one's data, as residents ask for them."""
from __future__ import annotations

import logging

from bot.engine.context import Ctx
from bot.cli.people import certs
from bot.db import local_now
from bot.engine.features import Feature
from bot.engine.flows import Flow
from bot.answers.normalize import compact
from bot.people import registration as service
from bot.people.api import registered_openids
from bot.people import flow as steps
from bot.people.flow import NO_RECORD, choice, start_registration, summary_lines
from bot.people.status import progress_text
from bot.privacy.pii import decrypt, mask_name
from bot.wechat.reply import Reply
from bot.engine.router import handler

log = logging.getLogger(__name__)


# "我爸的残疾证办到哪了" asks for the progress too, without 查/我的 before it; only question forms
# ("好了没", "下来没"), so "残疾证办好了 补贴怎么领" still goes to the policy answers.
STATUS_REGEX = (r"(查|我的|我家).{0,4}(残疾人?证|证件|办证).{0,4}(进度|办到哪|好了没|办好了)|(残疾人?证|办证)进度|"
                r"(残疾人?证|证件?)[^，。？?！!\s]{0,3}(办到哪|办到什么|办好了没|好了没|下来了?没|批下来了?没)")


def _reply(text: str, options=None, kind: str = "command") -> Reply:
    return Reply(text=text, options=options, meta={"kind": kind})


def _summary(ctx, reg) -> str:
    key = ctx.settings.data_key
    number = decrypt(key, reg.cert_enc) or decrypt(key, reg.id_enc)
    return summary_lines(decrypt(key, reg.name_enc) or "", reg.relation, number or "",
                         decrypt(key, reg.phone_enc) or "", reg.town)


@handler(menu=("REGISTER",), keywords=("注册", "绑定", "我要注册", "我要绑定", "注册绑定", "绑定身份", "实名注册",
                                       "重新注册", "我的信息", "我的资料"), fuzzy=("我要注册", "注册绑定"))
def register(ctx: Ctx) -> Reply | None:
    reg = service.current(ctx.session, ctx.openid)
    if reg is None and compact(ctx.text) in ("我的信息", "我的资料"):
        return _reply("您还没有注册，这里没有保存您的姓名、证件号。\n请回复数字：\n1. 现在注册\n2. 回主菜单\n"
                      f"{ctx.local.way_out()}", options=[["现在注册", "people_register:"], ["回主菜单", "menu:MAIN"]])
    if reg is None or compact(ctx.text) == "重新注册":
        return start_registration(ctx)
    return _reply(f"您已经注册过了：\n{_summary(ctx, reg)}\n请回复数字：\n1. 重新注册（换人或改信息）\n"
                  "2. 查办证进度\n3. 解除绑定\n4. 删除我的信息",
                  options=[["重新注册", "people_register:"], ["查办证进度", "menu:CERT_STATUS"],
                           ["解除绑定", "people_unbind:"], ["删除我的信息", "people_delete:"]])


@handler(action="people_register")
def register_picked(ctx: Ctx) -> Reply | None:
    """A numbered pick "现在注册": register, then continue with the menu key in the action."""
    return start_registration(ctx, then=ctx.action_arg or None)


@handler(menu=("CERT_STATUS",), keywords=("我的证件", "查询进度", "办证进度", "查进度", "进度查询", "证件进度",
                                          "残疾证进度", "我的残疾证", "查办证进度", "办理进度"),
         regex=STATUS_REGEX, fuzzy=("办证进度", "查询进度"))
def cert_status(ctx: Ctx) -> Reply | None:
    reg = service.current(ctx.session, ctx.openid)
    if reg is None:
        # Not everyone can register (no ID at hand, a neighbour asking): a human and a phone too.
        return _reply("查办证进度要先注册，核对身份后才能看，保护您的信息。\n请回复数字：\n"
                      f"1. 现在注册（大约 2 分钟）\n2. 回主菜单\n不方便注册的，{ctx.local.way_out()}",
                      options=[["现在注册", "people_register:CERT_STATUS"], ["回主菜单", "menu:MAIN"]])
    name = mask_name(decrypt(ctx.settings.data_key, reg.name_enc))
    records = service.linked_records(ctx.session, reg)
    if not records:  # unlinked or no record: the same words, so nothing leaks about someone else's ID
        return _reply(f"{name}已经注册。\n{NO_RECORD}\n信息填错了可以回复“重新注册”。\n{ctx.local.way_out()}")
    text = progress_text(records, name, ctx.settings.data_key, ctx.local, local_now().date())
    return _reply(text)


@handler(keywords=("解绑", "解除绑定", "取消绑定", "解除注册"), action="people_unbind")
def unbind(ctx: Ctx) -> Reply | None:
    reg = service.current(ctx.session, ctx.openid)
    if reg is None:
        return _reply(f"您还没有注册，不需要解绑。\n回复“菜单”看看能办什么。\n{ctx.local.way_out()}")
    ctx.start_flow(manage_flow, "unbind")
    return _reply(f"要解除这个微信号的绑定吗？\n{_summary(ctx, reg)}\n"
                  "解绑后这个微信号查不到办证进度，残联的办证档案不受影响。\n1. 确定解绑\n2. 不解绑了")


@handler(keywords=("删除我的信息", "删除信息", "删除我的资料", "删除个人信息", "删除我的个人信息"),
         action="people_delete")
def delete_data(ctx: Ctx) -> Reply | None:
    reg = service.current(ctx.session, ctx.openid)
    if reg is None:
        removed = service.delete_my_data(ctx.session, ctx.openid)
        extra = f"\n已删除聊天记录 {removed['messages']} 条。" if removed["messages"] else ""
        extra += "".join(f"\n已删除{label} {count} 条。" for label, count in removed["elsewhere"].items() if count)
        return _reply(f"这里没有保存您的注册信息（姓名、证件号、电话）。{extra}\n{ctx.local.way_out()}")
    family = "\n- 您家人的微信绑定（您是本人，一起删除）" if reg.relation == "本人" else ""
    ctx.start_flow(manage_flow, "delete")
    return _reply("删除后，这里保存的下面这些信息会被删掉：\n"
                  f"- 注册信息：姓名、身份证号或残疾人证号、电话、乡镇{family}\n"
                  "- 和我们的聊天记录、还没发出的通知\n"
                  "残联的办证档案是正式记录，不在这里删除；要更正请联系县残联。\n1. 确定删除\n2. 不删了")


def _confirmed(ctx, action: str, no_words: tuple[str, ...]) -> Reply | None:
    """A "1. 确定… / 2. 不…了" step: None when confirmed (flow ended), else the reply to send."""
    said = choice(ctx)
    yes, no = ("1", "确定", f"确定{action}", action), ("2", "不", *no_words)
    if said not in yes + no:
        return _reply(f"请回复数字：\n1. 确定{action}\n2. {no_words[0]}")
    ctx.end_flow()
    if said in no:
        return _reply(f"好的，没有{action}，一切照旧。\n回复“菜单”看看能办什么。")
    return None


def confirm_unbind(ctx):
    pending = _confirmed(ctx, "解绑", ("不解绑了", "不解绑"))
    if pending is not None:
        return pending
    reg = service.unbind(ctx.session, ctx.openid)
    if reg is None:
        return _reply("您已经不在注册名单里了。")
    return _reply(f"已解除绑定，删掉了这个微信号的注册信息：\n{_summary(ctx, reg)}\n"
                  "残联的办证档案不受影响；以后想查进度，回复“注册”重新绑定。")


def confirm_delete(ctx):
    pending = _confirmed(ctx, "删除", ("不删了", "不删"))
    if pending is not None:
        return pending
    removed = service.delete_my_data(ctx.session, ctx.openid)
    lines = ["已删除："]
    if removed["registration"]:
        lines.append("- 注册信息（姓名、证件号、电话、乡镇）")
    if removed["family"]:
        lines.append(f"- 家人的微信绑定 {removed['family']} 个")
    if removed["failures"]:
        lines.append(f"- 身份核对记录 {removed['failures']} 条")
    if removed["messages"]:
        lines.append(f"- 聊天记录 {removed['messages']} 条")
    lines += [f"- {label} {count} 条" for label, count in removed["elsewhere"].items() if count]
    lines.append("残联的办证档案没有改动。以后需要，可以回复“注册”重新登记。")
    return _reply("\n".join(lines))


# Also opened for an unregistered resident by booking and aids (bot.people.api.start_registration).
register_flow = Flow(
    "people_register", entry=(register, register_picked),
    steps={"relation": steps.relation, "family": steps.family, "name": steps.name, "identity": steps.identity,
           "phone": steps.phone, "town": steps.town},
    timeout_minutes=30, on_timeout="上次的注册超过 30 分钟没有完成，已自动取消，填过的内容没有保存。")
manage_flow = Flow("people_manage", entry=(unbind, delete_data),
                   steps={"unbind": confirm_unbind, "delete": confirm_delete},
                   timeout_minutes=10, on_cancel="好的，什么都没有改，您的信息照旧保存。")

FEATURE = Feature(
    name="registration",
    handlers=(register, register_picked, cert_status, unbind, delete_data),
    flows=(register_flow, manage_flow),
    tag_audiences={"registered": registered_openids},  # the notices' tag 已注册居民
    cli=(certs,), pages=("bot.admin.views.people",),
)
