""""您在哪个乡镇？": the contact answer asks for the town, then gives that one town's contacts.

Sixteen towns' contacts in one reply ran past WeChat's limit and cut the way out; a screen reader
read every line. So the answer asks, and the next message (a town's name) gets one town.
The step only: handlers/policy.py declares the flow "contact_town" (opened here by name).
"""
from __future__ import annotations

from bot.answers.normalize import compact
from bot.wechat.reply import Reply
from bot.answers.towns import match_town

CONTACT_ENTRY = "contact.office"


def town_key(town: str) -> str:
    return f"town.{town}.contact"


def town_reply(ctx, town: str) -> Reply:
    """One town's window and 专职委员 phone (or, unfilled, where to ask instead)."""
    local = ctx.local
    value = local.value(town_key(town))
    if value:
        text = f"{town}便民服务中心残联窗口和专职委员：\n{value}\n其他乡镇，直接回复乡镇名。\n{local.way_out()}"
    else:
        text = f"{town}的联系方式还没有录入。\n{local.way_out()}"
    return Reply(text=text, meta={"kind": "command", "topic": None, "town": town})


def after_contact(ctx, reply: Reply, said: str) -> Reply:
    """Called when the contact answer is sent: a town already named is answered, else we wait for one."""
    town = match_town(ctx.settings.knowledge_dir, said) if said else None
    if town:
        answered = town_reply(ctx, town)
        answered.text = reply.text.split("\n您在哪个乡镇？")[0] + "\n\n" + answered.text
        answered.meta = reply.meta
        return answered
    ctx.start_flow("contact_town", "town")
    return reply


def town(ctx):
    chosen = match_town(ctx.settings.knowledge_dir, ctx.text)
    # "鳌江" / "我住在鳌江镇" answer the question; "鳌江的残疾人之家在哪里" is a new question
    if chosen is None or len(compact(ctx.text)) > 8:  # leave quietly, the message is routed as usual
        ctx.end_flow()
        return None
    ctx.goto("town")  # stay a few minutes: "那鳌江呢" after "昆阳" gets an answer too
    return town_reply(ctx, chosen)
