"""The registration conversation: for whom → name → ID or certificate number → phone → town.

What the resident types is kept encrypted in the flow state (a JSON row) until the last step; nothing
is saved as a registration before then, so "取消" halfway leaves an earlier registration untouched.
The steps only: handlers/registration.py declares the flow "people_register" (booking and aids open it
too, through bot.people.api, so it is opened here by name).
"""
from __future__ import annotations

import logging
import re

from bot.engine.flows import keep_out_of_log
from bot.answers.normalize import compact
from bot.people import registration as service
from bot.people.validation import Invalid, NotGenuine, parse_identity, parse_name, parse_phones, spoken_digits
from bot.privacy.pii import decrypt, encrypt, fold_digits, mask_id, mask_name, mask_phone
from bot.wechat.reply import Reply
from bot.answers.towns import match_town, towns
from bot.answers.voice_words import leavable, looks_like_request, relation_said

log = logging.getLogger(__name__)
FAMILY = {"1": "家属（配偶）", "2": "家属（子女）", "3": "家属（父母）", "4": "家属（其他）"}
FAMILY_WORDS = {"配偶": "1", "老伴": "1", "丈夫": "1", "妻子": "1", "老公": "1", "老婆": "1", "爱人": "1",
                "子女": "2", "儿子": "2", "女儿": "2", "孩子": "2", "父母": "3", "爸爸": "3", "妈妈": "3",
                "父亲": "3", "母亲": "3", "其他": "4", "监护人": "4", "亲戚": "4"}


def choice(ctx) -> str:
    return fold_digits(compact(ctx.text)).rstrip("号项")


def locked_reply(ctx) -> Reply:
    return Reply(text="今天核对身份没通过的次数太多了。\n为了保护个人信息，注册暂停到明天。\n"
                      "请带身份证到县残联窗口办理，或者打电话问。\n" + ctx.local.way_out(), meta={"kind": "command"})


def start_registration(ctx, then: str | None = None) -> Reply:
    if service.is_locked(ctx.session, ctx.openid):
        return locked_reply(ctx)
    ctx.start_flow("people_register", "relation", then=then)
    return _ask(ctx, _why_register(then) + "随时回复“取消”可以退出，填过的内容不会保存。\n"
                     "请问是给谁注册？\n1. 给我自己，我是残疾人本人\n2. 给家人，我是家属")


# Sent here by another service (then = its menu key): say why, so "借轮椅" is not answered by an
# unexplained registration form.
_NEEDS_REGISTRATION = (("BOOK_ASSESS", "预约上门评残"), ("AIDS_BORROW", "借辅具"))


def _why_register(then: str | None) -> str:
    for key, service_name in _NEEDS_REGISTRATION:
        if then and then.startswith(key):
            return f"{service_name}要先注册，注册好了马上接着办。\n"
    return "注册后可以查办证进度、预约上门评残。\n"


def _ask(ctx, text: str) -> Reply:
    return Reply(text=text, meta={"kind": "command"})


def _who(ctx) -> str:
    return "您" if ctx.data.get("relation") == "本人" else "残疾人"


@leavable
def relation(ctx):
    said = choice(ctx)
    if said in ("1", "本人", "自己", "我自己", "给自己", "给我自己", "我"):
        ctx.goto("name", relation="本人")
        return _ask(ctx, "请输入您的姓名，和身份证上一样：")
    if said in FAMILY_WORDS:
        return _family_chosen(ctx, FAMILY_WORDS[said])
    if said in ("2", "家属", "家人", "给家人", "我是家属", "代办"):
        ctx.goto("family")
        return _ask(ctx, "您是残疾人的什么人？\n1. 配偶或老伴\n2. 子女\n3. 父母\n4. 其他亲属或监护人")
    spoken = relation_said(ctx.text)  # "我是他妈妈" "帮我爸办" "给我儿子办"
    if spoken == "self":
        ctx.goto("name", relation="本人")
        return _ask(ctx, "请输入您的姓名，和身份证上一样：")
    if spoken:
        return _family_chosen(ctx, spoken)
    return _ask(ctx, "请回复数字：\n1. 给我自己注册\n2. 给家人注册\n不想注册了请回复“取消”。")


@leavable
def family(ctx):
    said = choice(ctx)
    said = FAMILY_WORDS.get(said, said)
    said = said if said in FAMILY else relation_said(ctx.text) or said
    if said in FAMILY:
        return _family_chosen(ctx, said)
    return _ask(ctx, "请回复数字：\n1. 配偶或老伴\n2. 子女\n3. 父母\n4. 其他亲属或监护人")


def _family_chosen(ctx, key: str) -> Reply:
    ctx.goto("name", relation=FAMILY[key])
    return _ask(ctx, "请输入残疾人本人的姓名，和身份证上一样：")


COMMAND_WORDS = {"菜单", "主菜单", "帮助", "注册", "绑定", "办证进度", "查询进度", "我的证件", "重新注册"}


@leavable
def name(ctx):
    if compact(ctx.text) in COMMAND_WORDS or looks_like_request(ctx.text):
        # "护理补贴怎么申请" is a question, not a name: leave politely and let it be answered
        ctx.end_flow()
        ctx.notes.append("好的，先不注册了，填过的内容没有保存。需要时回复“注册”。")
        return None
    keep_out_of_log(ctx, "姓名")
    try:
        value = parse_name(ctx.text)
    except Invalid as exc:
        return _ask(ctx, f"{exc}。\n请再输入一次{_who(ctx)}的姓名：")
    ctx.goto("identity", name_enc=encrypt(ctx.settings.data_key, value))
    return _ask(ctx, f"请输入{_who(ctx)}的身份证号，18 位，\n或者残疾人证号，20 位。\n也可以直接用语音说出来。")


@leavable
def identity(ctx):
    keep_out_of_log(ctx)
    try:
        # Typed or dictated ("我的身份证是三三零三…"): keep only what a number can contain.
        id_number, cert = parse_identity(re.sub(r"[^0-9XB]", "", spoken_digits(ctx.text).upper()))
    except NotGenuine as exc:
        if service.record_failure(ctx.session, ctx.openid, "checksum"):
            ctx.end_flow()
            return locked_reply(ctx)
        left = service.MAX_FAILURES_PER_DAY - service.failures_today(ctx.session, ctx.openid)
        return _ask(ctx, f"号码核对没通过：{exc}。\n请仔细看着证件再输入一次（今天还可以试 {left} 次）。")
    except Invalid as exc:
        return _ask(ctx, f"号码不对：{exc}。\n请再输入一次；不想注册了请回复“取消”。")
    key = ctx.settings.data_key
    ctx.goto("phone", id_enc=encrypt(key, id_number), cert_enc=encrypt(key, cert))
    return _ask(ctx, "请输入联系电话，手机号就行。\n最好是办证时留的号码，我们用它核对身份：")


@leavable
def phone(ctx):
    keep_out_of_log(ctx)
    try:
        phones = parse_phones(re.sub(r"[^0-9\s\-,，;；/、()（）+]", "", spoken_digits(ctx.text)).strip())
    except Invalid as exc:
        phones = None
        problem = str(exc)
    else:
        problem = "没有听清号码"
    if not phones:
        return _ask(ctx, f"{problem}。\n请再输入一次电话号码（手机 11 位，座机请带区号）：")
    ctx.goto("town", phone_enc=encrypt(ctx.settings.data_key, phones.split(",")[0]))
    return _ask(ctx, f"{_who(ctx)}住在哪个乡镇？\n例如“鳌江”“昆阳”。不清楚可以回复“跳过”。")


@leavable
def town(ctx):
    names = towns(ctx.settings.knowledge_dir)
    said = choice(ctx)
    if said.isdigit() and ctx.data.get("listed") and 1 <= int(said) <= len(names):
        chosen = names[int(said) - 1]
    elif said in ("跳过", "不知道", "不清楚", "其他", "外地"):
        chosen = None
    else:
        chosen = match_town(ctx.settings.knowledge_dir, ctx.text)
        if chosen is None:
            ctx.goto("town", listed=True)
            listing = "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1))
            return _ask(ctx, f"没听清是哪个乡镇，请回复数字：\n{listing}\n不清楚可以回复“跳过”。")
    return _finish(ctx, chosen)


def _finish(ctx, chosen_town: str | None) -> Reply:
    key, data = ctx.settings.data_key, dict(ctx.data)
    draft = service.Draft(relation=data["relation"], name=decrypt(key, data["name_enc"]),
                          id_number=decrypt(key, data["id_enc"]),
                          cert_number=decrypt(key, data.get("cert_enc")),
                          phone=decrypt(key, data["phone_enc"]), town=chosen_town)
    outcome = service.submit(ctx.session, key, ctx.openid, draft)
    ctx.end_flow()
    log.info("registration finished: %s (%s)", outcome, draft.relation)
    if outcome == "locked":
        return locked_reply(ctx)
    if outcome == "full":
        return _ask(ctx, "这位残疾人已经有 3 个微信号绑定了，最多只能绑定 3 个。\n"
                         "请让其中一位家人回复“解绑”解除后，再来注册。\n" + ctx.local.way_out())
    summary = summary_lines(draft.name, draft.relation, draft.cert_number or draft.id_number, draft.phone,
                            draft.town)
    then = data.get("then")
    if then:  # back to what needed the registration (e.g. the booking entry): the dispatcher routes it
        return Reply(text=f"注册成功！\n{summary}\n", meta={"then": f"menu:{then}"})
    if outcome == "linked":
        return _ask(ctx, f"注册成功！\n{summary}\n已和残联的办证记录核对一致。\n回复“办证进度”查看办理进度。")
    return _ask(ctx, f"注册成功！\n{summary}\n{NO_RECORD}\n{ctx.local.way_out()}")


NO_RECORD = ("暂时没有查到和您填写的信息对应的办证记录。\n"
             "可能是还没有申请，或者记录还没录入；也可能是姓名、证件号、电话和办证时登记的不一样。\n"
             "想了解怎么申请残疾人证，请回复“残疾证怎么办”。")


def summary_lines(name: str, relation: str, number: str, phone: str, town: str | None) -> str:
    return (f"姓名：{mask_name(name)}\n关系：{relation}\n证件号：{mask_id(number)}\n"
            f"电话：{mask_phone(phone)}\n乡镇：{town or '未填'}")
