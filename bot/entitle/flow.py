"""The check as a conversation: at most seven numbered questions, then the result; nothing kept afterwards.

The answers live in the flow state (one conversation_state row) only while the questions are asked;
the result ends the flow, which empties it. The counter keeps (day, benefit, count) and nothing else.
The steps only: handlers/entitle.py declares the flow "entitle" (opened here by name).
"""
from __future__ import annotations

import logging

from bot.entitle import rules as entitlements
from bot.db import local_now
from bot.entitle import questions as q
from bot.entitle.counts import count_shown
from bot.entitle.prefill import describe, from_registry
from bot.entitle.render import first_page
from bot.answers.normalize import compact
from bot.wechat.reply import Reply
from bot.answers.voice_words import command_elsewhere, is_leaving, is_yes, looks_like_request

log = logging.getLogger(__name__)
ON_CANCEL = "好的，不查了，您的回答没有保存。"
INTRO = "好的，帮您做个政策体检：最多回答 7 个问题，看看能享受哪些政策。\n回复数字或直接说都可以，随时回复“取消”退出。"
HAVE_CERT = ("有", "有证", "有的", "有啊", "办了", "办好了", "有残疾证", "有残疾人证")
STOP = ("不查了", "不测了", "不用了", "不做了", "不要了")
NO_WORDS = ("2", "不对", "不是", "不", "错了", "有变化", "重新填", "重填")


def _ask(text: str) -> Reply:
    return Reply(text=text, meta={"kind": "command"})


def start(ctx) -> Reply:
    """Start the check; a resident the registry confirmed only confirms what it says."""
    known = from_registry(ctx.session, ctx.settings.data_key, ctx.openid, local_now().date())
    if known is not None:
        profile, town = known
        ctx.start_flow("entitle", "confirm", known=profile, n=1)
        who = "您" if profile["who"] == "本人" else "您登记的家人"
        return _ask(f"{INTRO}\n第 1 题：残联的记录里，{who}是：{describe(profile, town)}。\n"
                    "这些对吗？\n1. 对，按这个查\n2. 不对，重新填")
    ctx.start_flow("entitle", "who", profile={}, n=1)
    return _ask(f"{INTRO}\n{q.prompt('who', {}, 1)}")


def _next(ctx, profile: dict) -> Reply:
    step = q.next_step(profile)
    if step is None:
        return finish(ctx, profile)
    number = int(ctx.data.get("n", 0)) + 1
    ctx.goto(step, profile=profile, n=number)
    return _ask(q.prompt(step, profile, number))


def confirm(ctx):
    said = compact(ctx.text)
    if is_yes(ctx.text) or said in ("对", "对的", "按这个查"):
        return _next(ctx, dict(ctx.data["known"]))
    if said in NO_WORDS:
        ctx.goto("who", profile={}, known=None, n=1)
        return _ask("好的，重新填。\n" + q.prompt("who", {}, 1))
    return _leave_or_again(ctx, "请回复数字：\n1. 对，按这个查\n2. 不对，重新填")


def _answer(ctx, step: str) -> Reply | None:
    profile = dict(ctx.data.get("profile") or {})
    said = compact(ctx.text)
    if step == "cert" and said in HAVE_CERT:  # "有" alone: where it was issued tells the 户籍 too
        ctx.goto("cert_where")
        return _ask("证是平阳县残联发的吗？\n1. 是，平阳发的\n2. 外地发的\n3. 不清楚")
    value = q.read(step, profile, ctx.text)
    if value is None:
        return _leave_or_again(ctx, "没听明白，请回复数字：\n" + q.prompt(step, profile, int(ctx.data.get("n", 1))))
    if step == "cert" and value.startswith("有证:"):
        profile["cert"], profile["huji"] = "有证", value.split(":", 1)[1]
    else:
        profile[step] = value
    return _next(ctx, profile)


def cert_where(ctx):
    profile = dict(ctx.data.get("profile") or {})
    word = q.read("huji", profile, ctx.text) or {"3": entitlements.UNKNOWN}.get(compact(ctx.text))
    if word is None:
        return _leave_or_again(ctx, "请回复数字：\n1. 是，平阳发的\n2. 外地发的\n3. 不清楚")
    profile["cert"], profile["huji"] = "有证", word
    return _next(ctx, profile)


def _leave_or_again(ctx, again: str) -> Reply | None:
    """A command or a question instead of an answer: leave quietly and let it be answered."""
    text = ctx.text or ""
    if compact(text) in STOP or is_leaving(text):
        ctx.end_flow()
        return _ask(f"{ON_CANCEL}\n需要时回复“我能领什么”。")
    if command_elsewhere(ctx, "handlers.entitle") or (len(compact(text)) > 4 and looks_like_request(text)):
        ctx.end_flow()
        ctx.notes.append("好的，先不做政策体检了，回答没有保存。需要时回复“我能领什么”。")
        return None
    return _ask(again)


# One step per question, each named after it (the names ConversationState stores).
QUESTIONS = {step: (lambda ctx, _s=step: _answer(ctx, _s)) for step in q.ORDER}


def finish(ctx, profile: dict) -> Reply:
    rules = entitlements.load(ctx.settings.knowledge_dir)
    hits, cautions = entitlements.evaluate(rules, q.complete(profile))
    ctx.end_flow()  # the answers go with the flow state; only the counts below stay
    count_shown(ctx.session, [h.rule.id for h in hits], local_now().date())
    log.info("entitlement check finished: %d benefits", len(hits))
    who = "您" if profile.get("who") == "本人" else "您的家人"
    return first_page(hits, cautions, who, ctx.local)
