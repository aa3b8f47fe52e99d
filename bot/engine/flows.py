"""Multi-turn flows: declared steps; the state lives in ConversationState (one row per openid)."""
from __future__ import annotations

from typing import Callable

from bot.privacy.pii import scrub


class Flow:
    """A named conversation with steps; each step gets the ctx and returns a Reply.

    Entry points are ordinary handlers that call ``ctx.start_flow(flow, step)``. Steps move on with
    ``ctx.goto(step, **data)`` or end with ``ctx.end_flow()``. "取消"/"退出" and the timeout are
    handled by the engine for every flow, so steps never need to.
    """

    def __init__(self, name: str, timeout_minutes: int | None = None, on_timeout: str = "",
                 on_cancel: str = ""):
        self.name = name
        self.timeout_minutes = timeout_minutes
        self.on_timeout = on_timeout or "上次的办理超过时间没有完成，已自动取消。"
        # What "取消"/"退出" means must be said plainly: in a "cancel my booking?" flow, leaving the
        # flow keeps the booking, and the resident must not read "已取消" as "booking cancelled".
        self.on_cancel = on_cancel or "好的，已取消，填过的内容没有保存。"
        self.steps: dict[str, Callable] = {}

    def step(self, name: str) -> Callable:
        def register(fn):
            self.steps[name] = fn
            return fn
        return register

    def handle(self, ctx):
        step = self.steps.get(ctx.state.step or "")
        if step is None:  # a step renamed in a new release: start over politely
            ctx.end_flow()
            return None
        return step(ctx)


def keep_out_of_log(ctx, what: str | None = None) -> None:
    """For a step that asks for something personal: the engine logs what was said (message_log, read
    by staff), so log a placeholder ("姓名", "地址") or, for numbers, the text with every 7+ digit run masked."""
    said = ctx.msg.recognition if ctx.msg.msg_type == "voice" else ctx.msg.content
    logged = f"（{what}，不记录）" if what else scrub(said or "", min_run=7)
    if ctx.msg.msg_type == "voice":
        ctx.msg.recognition = logged
    else:
        ctx.msg.content = logged
