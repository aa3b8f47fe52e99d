"""Multi-turn flows, declared as data; the state lives in ConversationState (one row per openid)."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

from bot.privacy.pii import scrub


@dataclass(frozen=True, eq=False)
class Flow:
    """A named conversation, declared once after its step functions (as ConversationHandler does):

        booking = Flow("booking", entry=(start,), steps={"reason": ask_reason, ...}, timeout_minutes=30)

    `entry` lists the handlers that open it with ``ctx.start_flow(flow, step)`` (a feature declares
    them). Each step gets the ctx and returns a Reply (None: the message is routed as if no flow were
    open); it moves on with ``ctx.goto(step, **data)`` or ends with ``ctx.end_flow()``. The flow and step
    NAMES are what ConversationState stores: renaming one drops conversations in progress at an upgrade.
    The fallbacks every flow shares are the engine's: "取消"/"退出", "转人工", distress, the timeout;
    a step that also understands "我不注册了" is wrapped by bot.answers.voice_words.leavable.
    """

    name: str
    steps: Mapping[str, Callable]
    entry: tuple = ()
    timeout_minutes: int | None = None
    on_timeout: str = "上次的办理超过时间没有完成，已自动取消。"
    # What "取消"/"退出" means must be said plainly: in a "cancel my booking?" flow, leaving the
    # flow keeps the booking, and the resident must not read "已取消" as "booking cancelled".
    on_cancel: str = "好的，已取消，填过的内容没有保存。"

    def __post_init__(self):
        object.__setattr__(self, "steps", MappingProxyType(dict(self.steps)))  # read-only once declared

    def handle(self, ctx):
        step = self.steps.get(ctx.state.step or "")
        if step is None:  # a step renamed in a new release: start over politely
            ctx.end_flow()
            return None
        return step(ctx)


def active_flow(ctx) -> Flow | None:
    """The flow the resident is in, by the name ConversationState stores (None: none or not installed)."""
    return ctx.services.router.flows.get(ctx.state.flow or "")


def keep_out_of_log(ctx, what: str | None = None) -> None:
    """For a step that asks for something personal: the engine logs what was said (message_log, read
    by staff), so log a placeholder ("姓名", "地址") or, for numbers, the text with every 7+ digit run masked."""
    said = ctx.msg.recognition if ctx.msg.msg_type == "voice" else ctx.msg.content
    logged = f"（{what}，不记录）" if what else scrub(said or "", min_run=7)
    if ctx.msg.msg_type == "voice":
        ctx.msg.recognition = logged
    else:
        ctx.msg.content = logged
