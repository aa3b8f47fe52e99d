"""Answers questions the way the webhook would, without a database: what `wxbot ask` and `wxbot eval`
(bot/cli/kb.py) put to the knowledge base. The router and the policy handler are the chat's own;
the context and services are stand-ins that have no session."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace

from bot.answers import knowledge
from bot.answers.normalize import compact
from bot.config import Settings
from bot.engine.dispatch import CANCEL_WORDS, HUMAN_WORDS
from bot.engine.features import installed
from bot.engine.router import Router
from bot.engine.services import Services

KINDS = ("answer", "suggest", "referral", "smalltalk", "fallback", "command")


@dataclass
class Asker:
    """Answers questions the way the webhook would, minus the database (index loaded once).

    Text goes through the same router as in the webhook, with a stand-in context that has no
    database session: handlers that need one (job search, registration) are reported as
    kind "command"; everything that reaches the policy fallback is answered from the matcher.
    """

    settings: Settings

    @cached_property
    def services(self) -> "_StubServices":
        return _StubServices(self)

    @property
    def bundle(self):
        return knowledge.bundle(self.services)

    @cached_property
    def router(self):
        return Router.from_features(installed())  # the same handlers, same order

    def ask(self, question: str) -> dict:
        # why: handlers/ is the composition root above bot/ (policy declares these commands)
        from handlers import policy
        word = compact(question)
        if not question.strip():  # a blank line: nothing to route
            candidates = []
        elif word in HUMAN_WORDS or word in CANCEL_WORDS:
            menu = self.router.for_action("menu:HUMAN" if word in HUMAN_WORDS else "menu:MAIN")
            candidates = [(menu, None)]
        else:  # like bot.engine.dispatch: a handler returning None declines, the next one gets the text
            candidates = list(self.router.text_candidates(question))
        taker = None  # the handler that took the text (eval maps some flows to the entry they serve)
        for fn, match in candidates:
            ctx = _StubCtx(question, self)
            ctx.match = match  # as bot.engine.dispatch sets it: "借轮椅要押金吗" (a regex hit, a question) declines
            try:
                reply = fn(ctx)
            except Exception:  # noqa: BLE001 - a handler that needs the database or WeChat
                row = _row(question, "command", f"（由“{fn.__name__}”处理，需要在公众号对话里使用）")
                return {**row, "_flow": f"{fn.__module__}.{fn.__name__}"}
            if reply is not None:
                taker = f"{fn.__module__}.{fn.__name__}"
                break
        else:
            reply = policy.respond(question, self.bundle)
        meta = reply.meta or {}
        if "explain" in meta and "candidates" in meta:  # answered by handlers.policy
            return _row(question, meta["kind"], reply.text, meta)
        row = _row(question, meta.get("kind") if meta.get("kind") in KINDS else "command", reply.text)
        return {**row, "_flow": taker} if row["kind"] == "command" else row


def _row(question: str, kind: str, reply: str, meta: dict | None = None) -> dict:
    """The contract's fields, plus "_explain"/"_entry" for eval (not printed)."""
    meta = meta or {}
    # A referral names its entry too (ref.driving …): the caller sees which office it was sent to.
    topic = meta.get("topic") or (meta.get("entry") if kind == "referral" else None)
    return {"q": question, "kind": kind, "topic": topic, "candidates": meta.get("candidates", []),
            "score": meta.get("score", 1.0), "reply": reply, "_explain": meta.get("explain"),
            "_entry": meta.get("entry")}


class _StubServices:
    """The parts of bot.engine.services.Services that text handlers read, without a database."""

    def __init__(self, asker: Asker):
        self.settings, self._asker = asker.settings, asker

    @property
    def router(self):
        return self._asker.router

    def local_facts(self):
        return self._asker.bundle.local

    def knowledge_mtime(self) -> float:
        return Services.knowledge_mtime(self)  # only reads settings.knowledge_dir


class _StubCtx:
    """Just enough of bot.engine.context.Ctx for handlers that only read text and local facts."""

    def __init__(self, text: str, asker: Asker):
        self.text, self.action_arg, self.notes = text, "", []
        self.services, self.settings = asker.services, asker.settings
        self.session = None  # handlers that need the database fail and are reported as commands
        self.msg = SimpleNamespace(is_event=False, event_key="", text=text, msg_type="text",
                                   openid="o_cli", dedup_key="cli")
        self.openid = "o_cli"
        self.state = SimpleNamespace(flow=None, step=None, data={}, options=[], expires_at=None)
        self.follower = SimpleNamespace(openid="o_cli")
        self.in_flow = False
        self.match = None

    @property
    def local(self):
        return self.services.local_facts()

    def start_flow(self, *_args, **_data) -> None:  # a follow-up question ("您在哪个乡镇？") needs no state here
        pass

    def end_flow(self) -> None:
        pass
