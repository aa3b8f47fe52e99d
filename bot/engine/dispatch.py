"""Routing order for one message: events, media, distress, escapes, active flow, numbered picks, text."""
from __future__ import annotations

import logging

from bot.engine.context import Ctx
from bot.db import utcnow
from bot.answers.normalize import compact, pick_digits
from bot.wechat.reply import Reply
from bot.engine.router import Match
from bot.safety.respond import respond as urgent_first

log = logging.getLogger(__name__)

HUMAN_WORDS = {"0", "人工", "转人工", "人工客服", "客服", "真人", "找人工"}
CANCEL_WORDS = {"取消", "退出", "不办了", "算了", "返回", "结束"}
LONGEST_LIST = 20  # no numbered list is longer; a bigger number is not a pick


def dispatch(ctx: Ctx) -> Reply:
    reply = _route(ctx)
    then = reply.meta.pop("then", None)
    if then is None:
        return reply
    # A handler that ends with "and now on to X" (a registration made for a booking, leaving a flow
    # for the main menu) names X as an action; the dispatcher routes it, the handler never does.
    kind, _, ctx.action_arg = then.partition(":")
    follow = _call(ctx.services.router.for_action(then), ctx, "then:" + kind)
    follow.text = reply.text + "\n" + (follow.text or "")
    follow.meta["route"] = reply.meta.get("route", follow.meta.get("route"))
    return follow


def _route(ctx: Ctx) -> Reply:
    router = ctx.services.router
    msg = ctx.msg
    if msg.is_event:
        if msg.event == "click":
            return _call(router.for_action(f"menu:{msg.event_key}"), ctx, "menu:" + msg.event_key)
        return _call(router.for_event(msg.event) or router.for_event("*"), ctx, "event:" + msg.event)
    if not ctx.text:  # image, video, location, link, unknown types, voice without transcript
        kind = msg.msg_type if msg.msg_type != "voice" else "voice_empty"
        return _call(router.for_msg_type(kind) or router.for_msg_type("*"), ctx, "type:" + kind)

    word = compact(ctx.text)
    # Distress and complaints first: before the flow's step, numbered picks and every menu word.
    if (urgent := urgent_first(ctx, skip=HUMAN_WORDS | CANCEL_WORDS)) is not None:
        return urgent
    _expire_flow(ctx)
    if word in HUMAN_WORDS:
        ctx.end_flow()
        return _call(router.for_action("menu:HUMAN"), ctx, "human")
    if word in CANCEL_WORDS:
        flow = router.flows.get(ctx.state.flow) if ctx.in_flow else None
        ctx.end_flow()
        reply = _call(router.for_action("menu:MAIN"), ctx, "cancel")
        reply.text = (flow.on_cancel + "\n" if flow else "") + reply.text
        return reply
    if ctx.in_flow:
        flow = router.flows.get(ctx.state.flow)
        reply = flow.handle(ctx) if flow else None
        if reply is not None:
            reply.meta.setdefault("route", f"flow:{flow.name}:{ctx.state.step or 'end'}")
            reply.meta.setdefault("kind", "command")
            return reply
        ctx.end_flow()

    pick = _numbered_pick(ctx, word)
    if pick is not None:
        return pick
    last_list = tuple({action.partition(":")[0] for _label, action in ctx.state.options or []})
    for fn, ctx.match in router.text_candidates(ctx.text, last_list):
        reply = fn(ctx)
        if reply is not None:  # None: the handler declined, the next candidate gets the message
            reply.meta.setdefault("route", f"text:{ctx.match.how}:{fn.__name__}")
            return reply
    ctx.match = None
    # Nothing took it (no Q&A installed): never leave the resident without a way on.
    reply = _call(router.for_action("menu:MAIN"), ctx, "text:unmatched")
    reply.text = "抱歉，没有听懂您的意思。\n" + reply.text
    reply.meta["kind"] = "fallback"
    return reply


def prefetch(services, msg) -> None:
    """Run the matcher before any write lock is taken: inside the transaction its cached result is
    found. Only for text that would reach policy Q&A (the router's first candidate is the fallback)."""
    text = msg.text.strip() if not msg.is_event and msg.text else ""
    if not text or len(text) < 3 or text.isdigit():
        return
    try:
        _fn, match = services.router.for_text(text)
        if match is not None and match.how == "fallback":
            from bot.answers import follow_on, knowledge  # why: these load on the first question
            bundle = knowledge.bundle(services)
            first = bundle.matcher.match(text)  # cached by the matcher for the handler
            follow_on.prefetch(services.sessions, bundle, msg.openid, text, first)
    except Exception:  # noqa: BLE001 - an optimisation only; the transaction does the real work
        log.debug("prefetch failed", exc_info=True)


def _expire_flow(ctx: Ctx) -> None:
    state = ctx.state
    if state.flow and state.expires_at and state.expires_at < utcnow():
        flow = ctx.services.router.flows.get(state.flow)
        ctx.notes.append(flow.on_timeout if flow else "上次的办理已超时，已自动取消。")
        ctx.end_flow()


def _numbered_pick(ctx: Ctx, word: str) -> Reply | None:
    digits = pick_digits(word)
    if not digits.isdigit() or len(digits) > 2:
        return None
    options = ctx.state.options or []
    if not options:
        return None
    index = int(digits) - 1
    if index >= LONGEST_LIST:  # "88" is 拜拜 in chat: not a pick from any list, routed as text
        return None
    if not 0 <= index < len(options):
        lines = [f"没有第 {digits} 项。请回复下面的数字："]
        lines += [f"{i}. {label}" for i, (label, _a) in enumerate(options, 1)]
        lines.append(ctx.local.way_out())
        return Reply(text="\n".join(lines), meta={"route": "pick:out-of-range", "kind": "command"})
    label, action = options[index]
    kind, _, ctx.action_arg = action.partition(":")
    fn = ctx.services.router.for_action(action)
    reply = _call(fn, ctx, f"pick:{kind}")
    reply.meta.setdefault("picked", {"label": label, "action": action, "from": ctx.text})
    return reply


def _call(fn, ctx: Ctx, route: str) -> Reply:
    if fn is None:
        log.warning("no handler for %s", route)
        return Reply(silent=True, meta={"route": route + ":unhandled"})
    ctx.match = Match(route.partition(":")[0])
    reply = fn(ctx)
    if reply is None:
        reply = Reply(silent=True)
    reply.meta.setdefault("route", f"{route}:{fn.__name__}")
    return reply
