"""Policy Q&A: free-text questions answered from knowledge/, topic menus, numbered picks."""
from __future__ import annotations

import logging
import re

from bot.cli import kb as cli_kb
from bot.answers import follow_on, knowledge, second_question
from bot.engine.context import Ctx
from bot.answers.contact_towns import CONTACT_ENTRY, after_contact, town as contact_town
from bot.engine.features import Feature
from bot.engine.flows import Flow
from bot.answers.local_facts import CLOSING
from bot.wechat.reply import Reply
from bot.engine.router import handler
from handlers.menu import MAIN_OPTIONS, main_menu, numbered

log = logging.getLogger(__name__)

# Topic menus group entries by their id prefix; an entry with a new prefix lands in "其他".
CATEGORIES = [
    ("subsidy", "补贴和保险（两项补贴、医保、养老、意外险）", ("subsidy.", "insurance.")),
    ("cert", "残疾人证（新办、换证、补证、迁移）", ("cert.",)),
    ("assess", "评残（残疾评定、上门评残）", ("assess.",)),
    ("rehab", "康复和辅具（儿童康复、耳蜗、轮椅）", ("rehab.", "aids.")),
    ("life", "生活（残疾人之家、无障碍改造、危房）", ("home.", "access.", "housing.", "culture.")),
    ("employ", "就业和培训", ("employ.",)),
    ("edu", "上学和助学", ("edu.",)),
    ("rights", "联系我们、帮办代办、维权投诉", ("contact.", "service.", "rights.")),
]
OTHER = ("other", "其他问题", ())
MENU_TOPICS = {"TOPIC_SUBSIDY": ("subsidy",), "TOPIC_CERT": ("cert", "assess"), "TOPIC_REHAB": ("rehab",)}

SUGGEST_INTRO = "您是不是想问："
FALLBACK_TEXT = ("抱歉，这个问题我还没学会。\n"
                 "可以换个说法再问一次，比如“残疾证怎么办”“护理补贴多少钱”。\n"
                 "也可以回复数字：\n")
FALLBACK_OPTIONS = [["看政策目录", "menu:POLICY"], ["联系我们（地址、电话）", "menu:CONTACT"]]
REFERRAL_INTRO = "这件事不归残联办理，要找其他部门：\n"
# "我儿子十八岁了 能领什么补贴": a list of topics guesses; the entitlement check (menu 7) asks a few
# questions and lists what this person can get. Offered as the last option of such a list.
ASKS_WHAT_I_GET = re.compile(r"(能|可以|可)(领|享受|拿|申请)(到)?(些)?(什么|哪些|啥)|(什么|哪些|啥)(补贴|补助|政策|待遇|福利)")
ENTITLE_OPTION = next(o for o in MAIN_OPTIONS if o[1] == "menu:ENTITLE")  # the same words as menu 7
ANSWER_FOOTER = "还有问题直接问我，回复“菜单”看全部服务。"


# ---- ctx-free core, shared with `wxbot ask` ----------------------------------------------------

# Small talk beside a question that needs no line of its own before the answer ("好的再见" would
# read as the end of the conversation just before it goes on).
ASIDE_UNSAID = frozenset({"chat.bye"})
# Small talk that ends a conversation: the menu's eight lines after it are noise (a screen reader reads
# them all); one line says how to go on.
WITHOUT_MENU = frozenset({"chat.thanks", "chat.bye", "chat.praise_complain"})


def respond(question: str, bundle: knowledge.Bundle) -> Reply:
    """The reply to one free-text question, with kind/topic/score/explain in reply.meta."""
    result = bundle.matcher.match(question)
    explain = result.explain()
    if result.decision == "answer":
        entry = bundle.kb.get(result.offered[0].entry_id)
        reply = entry_reply(entry, bundle, score=result.score, explain=explain)
        said = bundle.kb.get(result.aside.entry_id) if result.aside is not None else None
        if said is not None and said.id not in ASIDE_UNSAID:  # "…怎么申请 你是机器人吗": a line for it first
            reply.text = bundle.local.render(said.answer).strip().splitlines()[0] + "\n" + reply.text
        return second_question.offer(reply, result.also)  # "…找谁 还有…怎么申请": the second one number away
    if result.decision == "suggest":
        options = [[c.title, f"topic:{c.entry_id}"] for c in result.offered]
        if result.vague:  # "补贴", "残疾证": the best three are a guess; offer the whole list too
            options.append(more_option(result.offered))
        if ASKS_WHAT_I_GET.search(question):
            options.append(list(ENTITLE_OPTION))
        text = f"{SUGGEST_INTRO}\n{numbered(options)}\n回复数字选择。\n{bundle.local.way_out()}"
        return Reply(text=text, options=options, meta={
            "kind": "suggest", "topic": None, "score": result.score,
            "candidates": [c.entry_id for c in result.offered], "explain": explain})
    return fallback_reply(bundle, score=result.score, explain=explain)


def entry_reply(entry, bundle: knowledge.Bundle, score: float = 1.0, explain: dict | None = None) -> Reply:
    """One entry as the resident reads it: placeholders filled, the right ending for its kind."""
    local = bundle.local
    text = local.render(entry.answer)
    meta = {"kind": entry.kind, "topic": entry.id if entry.kind == "answer" else None,
            "entry": entry.id, "score": score, "candidates": [], "explain": explain or {}}
    if entry.kind == "smalltalk" and entry.id in WITHOUT_MENU:  # "谢谢" / "再见": no list read out after it
        way_out = "。" if "转人工" in text else "；" + local.way_out()
        return Reply(text=f"{text.rstrip()}\n回复“菜单”看能办什么{way_out}", meta=meta)
    if entry.kind == "smalltalk":  # a greeting, who we are: then what the account can do
        reply = main_menu(None, text + "\n请回复数字选择：", kind="smalltalk")
        reply.meta.update(meta)
        return reply
    if entry.kind == "referral":  # ends with its own way on; the closing line only for an unfilled fact
        closing = ""
        if local.missing_in(entry.answer):  # the way out is said once: the entry's own, else the closing's
            closing = "\n" + (f"{CLOSING}。" if "转人工" in text else local.closing(entry.answer))
        return Reply(text=REFERRAL_INTRO + text + closing, meta=meta)
    return Reply(text=local.finish(entry.answer, ANSWER_FOOTER), meta=meta)


def fallback_reply(bundle: knowledge.Bundle, score: float = 0.0, explain: dict | None = None) -> Reply:
    text = FALLBACK_TEXT + numbered(FALLBACK_OPTIONS) + "\n" + bundle.local.way_out()
    return Reply(text=text, options=[list(o) for o in FALLBACK_OPTIONS], meta={
        "kind": "fallback", "topic": None, "score": score, "candidates": [], "explain": explain or {}})


def more_option(offered) -> list[str]:
    """The category the suggestions share ("都不是，看残疾人证的全部问题"), else the policy menu."""
    cats = {category_of(c.entry_id) for c in offered}
    if len(cats) == 1 and OTHER[0] not in cats:
        key = cats.pop()
        label = next(lbl for k, lbl, _p in CATEGORIES if k == key).split("（")[0]
        return [f"都不是，看{label}的全部问题", f"cat:{key}"]
    return ["都不是，看政策目录", "menu:POLICY"]


def category_options(bundle: knowledge.Bundle) -> list[list[str]]:
    return [[label, f"cat:{key}"] for key, label, _p in (*CATEGORIES, OTHER) if topics_in(bundle, (key,))]


def category_of(entry_id: str) -> str:
    return next((key for key, _label, prefixes in CATEGORIES if entry_id.startswith(prefixes)), OTHER[0])


def topics_in(bundle: knowledge.Bundle, keys) -> list[list[str]]:
    """[title, "topic:id"] of the answer entries in these categories, most asked first (menu.yaml)."""
    # Kept in the bundle: the policy menu scanned every entry for each of its categories on every
    # "政策" tap, 4 % of a menu message's CPU (py-spy, issue 16).
    key = ("topics_in", tuple(keys))
    if key not in bundle.memo:
        order = bundle.topic_order
        entries = [e for e in bundle.kb.entries.values() if e.kind == "answer" and category_of(e.id) in key[1]]
        entries.sort(key=lambda e: order.get(e.id, len(order)))
        bundle.memo[key] = [(e.title, f"topic:{e.id}") for e in entries]
    return [list(pair) for pair in bundle.memo[key]]


# ---- handlers ----------------------------------------------------------------------------------

@handler(fallback=True)
def ask(ctx: Ctx) -> Reply | None:
    """Any text no other handler claimed: look it up in the knowledge base."""
    bundle = knowledge.bundle(ctx.services)
    reply = respond(ctx.text, bundle)
    if not ctx.in_flow:  # "要带什么材料" just after an answer: read with that topic (bot.answers.follow_on)
        last = lambda: follow_on.last_topic(ctx.session, ctx.openid)  # noqa: E731
        reply = follow_on.reread(ctx.text, reply, bundle, respond, last) or reply
    if not ctx.in_flow:
        # Remember a question we could not answer outright, so that the pick that follows is
        # logged as "question → entry" for staff to turn into a sample question.
        data = dict(ctx.state.data or {})
        if reply.meta["kind"] in ("suggest", "fallback"):
            data["policy_question"] = ctx.text[:200]
        else:
            data.pop("policy_question", None)
        if data != (ctx.state.data or {}):
            ctx.state.data = data  # a new dict: JSON columns track assignment
    log.debug("policy %s %s %.2f", reply.meta["kind"], reply.meta.get("entry") or "-", reply.meta["score"])
    if reply.meta.get("entry") == CONTACT_ENTRY and not ctx.in_flow:
        return after_contact(ctx, reply, said=ctx.text)
    return reply


@handler(action="topic")
def topic(ctx: Ctx) -> Reply | None:
    """A numbered pick (or a menu) asked for one entry by id."""
    bundle = knowledge.bundle(ctx.services)
    entry = bundle.kb.get(ctx.action_arg)
    data = dict(ctx.state.data or {})
    asked = data.pop("policy_question", None)
    if asked is not None:
        ctx.state.data = data
    if entry is None:  # the entry was renamed or removed since the list was shown
        reply = policy_menu(ctx)
        reply.text = "这一项的内容已经更新了，请重新选择。\n" + reply.text
        return reply
    explain = {"via": "pick", "question": asked, "entry": entry.id, "title": entry.title}
    reply = entry_reply(entry, bundle, score=1.0, explain=explain)
    if entry.id == CONTACT_ENTRY and not ctx.in_flow:
        return after_contact(ctx, reply, said="")  # a menu click or a number names no town: ask for it
    return reply


@handler(menu=("CONTACT",))
def contact(ctx: Ctx) -> Reply | None:
    """The menu's "联系我们": the office entry, then which town's contact (as picking it does)."""
    ctx.action_arg = "contact.office"
    return topic(ctx)


@handler(menu=("POLICY",), keywords=("政策", "政策咨询", "政策目录", "目录"))
def policy_menu(ctx: Ctx) -> Reply | None:
    cats = category_options(knowledge.bundle(ctx.services))
    text = f"请选择想了解的政策，回复数字：\n{numbered(cats)}\n也可以直接打字或说话提问。\n{ctx.local.way_out()}"
    return Reply(text=text, options=cats, meta={"kind": "command", "topic": None})


@handler(action="cat")
def category(ctx: Ctx) -> Reply | None:
    """One category's topics as a numbered list."""
    keys = (ctx.action_arg,)
    label = next((lbl for key, lbl, _p in (*CATEGORIES, OTHER) if key == ctx.action_arg), "政策")
    return topic_list(ctx, keys, label)


@handler(menu=tuple(MENU_TOPICS))
def topic_menu(ctx: Ctx) -> Reply | None:
    """Bottom-menu shortcuts: 两项补贴 / 办残疾证 / 康复辅具."""
    # A bottom-menu click carries the key in the event; a numbered "menu:KEY" pick in action_arg.
    key = ctx.action_arg or (ctx.msg.event_key if ctx.msg.is_event else "")
    keys = MENU_TOPICS.get(key, ())
    label = next((lbl for k, lbl, _p in CATEGORIES if k == keys[0]), "政策") if keys else "政策"
    return topic_list(ctx, keys, label)


def topic_list(ctx, keys, label: str) -> Reply:
    options = topics_in(knowledge.bundle(ctx.services), keys)
    if not options:
        return policy_menu(ctx)
    text = (f"【{label}】请回复数字：\n{numbered(options)}\n"
            f"回复“政策”看全部分类。\n{ctx.local.way_out()}")
    return Reply(text=text, options=options, meta={"kind": "command", "topic": None})


# The contact answer asks "您在哪个乡镇？"; the next message, a town's name, gets that town's contacts.
town_flow = Flow("contact_town", entry=(ask, topic, contact), steps={"town": contact_town},
                 timeout_minutes=10, on_cancel="好的。")

FEATURE = Feature(
    name="policy",
    handlers=(ask, topic, contact, policy_menu, category, topic_menu),  # `ask` is the fallback for free text
    flows=(town_flow,),
    cli=(cli_kb.ask, cli_kb.eval_cmd, cli_kb.kb), pages=("bot.admin.views.kb", "bot.admin.views.unanswered"),
)
