"""Tag-only handler declarations and the router that collects them in a fixed order."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from rapidfuzz import fuzz

from bot.engine.flows import Flow
from bot.answers.normalize import compact, pinyin_key

FUZZY_CUTOFF = 85
COMMANDS_CACHE = 2048
# pypinyin costs ~0.1 ms a call and a short message is compared with every fuzzy command.
_pinyin = lru_cache(maxsize=4096)(pinyin_key)


@dataclass(frozen=True)
class Route:
    menu: tuple[str, ...] = ()  # menu CLICK keys, also reachable as action "menu:KEY"
    keywords: tuple[str, ...] = ()  # whole message equals one of these (after compacting)
    prefixes: tuple[str, ...] = ()  # message starts with one of these ("订阅岗位 鳌江")
    regex: re.Pattern | None = None
    fuzzy: tuple[str, ...] = ()  # short commands typed with a typo ("预约平残")
    action: str | None = None  # numbered-option actions "topic:…", "job:…"
    event: str | None = None  # subscribe|unsubscribe|scan|location|view|…
    msg_type: str | None = None  # image|video|location|link|…
    # Words answering the last numbered list, when its options have these action kinds ("job", …).
    answers: tuple[str, ...] = ()
    fallback: bool = False


@dataclass(frozen=True)
class Match:
    """Why the dispatcher chose a handler; handlers read it instead of re-parsing or re-routing."""

    how: str  # keyword|prefix|regex|list|fuzzy|fallback (text), or menu|event|type|pick|action
    found: re.Match | None = None  # the regex match, when a regex chose the handler
    # Another handler's own command (keyword or prefix) matches the same words: a handler with nothing
    # to say in this context declines (returns None) and leaves the words to it.
    shared: bool = False


def handler(*, menu=(), keywords=(), prefixes=(), regex=None, fuzzy=(), action=None, event=None,
            msg_type=None, answers=(), fallback=False) -> Callable:
    """Tag a function as a handler; it only records what it matches (the router decides)."""
    route = Route(menu=tuple(menu), keywords=tuple(compact(k) for k in keywords),
                  prefixes=tuple(compact(p) for p in prefixes),
                  regex=re.compile(regex) if isinstance(regex, str) else regex,
                  fuzzy=tuple(compact(f) for f in fuzzy), action=action, event=event,
                  msg_type=msg_type, answers=tuple(answers), fallback=fallback)

    def tag(fn):
        fn.__dict__.setdefault("wx_routes", []).append(route)
        return fn
    return tag


def _close(said: str, command: str) -> bool:
    """A short command typed with a typo, or dictated as a homophone (抱名 → 报名)."""
    if fuzz.ratio(said, command) >= FUZZY_CUTOFF:
        return True
    return abs(len(said) - len(command)) <= 1 and fuzz.ratio(_pinyin(said), _pinyin(command)) >= 90


@dataclass
class Router:
    routes: list[tuple[Route, Callable]] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)

    @classmethod
    def from_features(cls, features) -> "Router":
        """Routes of every declared handler, in the features' priority order, and their flows."""
        router = cls()
        for flow in features.flows:
            router.flows[flow.name] = flow
        for fn in features.handlers:
            routes = getattr(fn, "wx_routes", None)
            if not routes:
                raise ValueError(f"{fn!r} is listed as a handler but has no @handler tag")
            router.routes += [(route, fn) for route in routes]
        return router

    def for_event(self, event: str) -> Callable | None:
        return next((fn for r, fn in self.routes if r.event == event), None)

    def for_msg_type(self, msg_type: str) -> Callable | None:
        return next((fn for r, fn in self.routes if r.msg_type == msg_type), None)

    def for_action(self, action: str) -> Callable | None:
        kind, _, arg = action.partition(":")
        if kind == "menu":  # an exact key first, then a catch-all for keys not built yet
            return next((fn for r, fn in self.routes if arg in r.menu), None) or next(
                (fn for r, fn in self.routes if "*" in r.menu), None)
        return next((fn for r, fn in self.routes if r.action == kind), None)

    def text_candidates(self, text: str, last_list: tuple[str, ...] = ()):
        """Every handler that matches, best first, with its Match: exact keywords, prefixes, regexes,
        words answering the last list (its options' action kinds in `last_list`), fuzzy, fallback.

        The dispatcher calls them in turn; a handler that returns None declines ("not mine in this
        context", e.g. "更多" when no job list was shown) and the next one gets the message.
        """
        key = compact(text)
        checks = (
            ("keyword", lambda r: key in r.keywords),
            ("prefix", lambda r: any(key.startswith(p) for p in r.prefixes)),
            ("regex", lambda r: r.regex.search(text) if r.regex is not None else None),
            ("list", lambda r: bool(set(r.answers) & set(last_list))),
            ("fuzzy", lambda r: len(key) <= 12 and any(_close(key, f) for f in r.fuzzy)),
            ("fallback", lambda r: r.fallback),
        )
        # Found lazily, in order: the dispatcher usually stops at the first, and the fuzzy checks cost.
        commands = self._commands_for(key)
        seen = set()
        for how, test in checks:
            for route, fn in self.routes:
                if fn not in seen and (hit := test(route)):
                    seen.add(fn)
                    yield fn, Match(how, hit if isinstance(hit, re.Match) else None, shared=bool(commands - {fn}))

    def __post_init__(self):
        # Handlers whose keyword or prefix a text is (several: the word is shared), kept per text: a scan
        # of every route, and residents send the same words again and again.
        self._commands_for = lru_cache(maxsize=COMMANDS_CACHE)(self._scan_commands)

    def _scan_commands(self, key: str) -> frozenset:
        return frozenset(fn for r, fn in self.routes
                         if key in r.keywords or any(key.startswith(p) for p in r.prefixes))

    def for_text(self, text: str, last_list: tuple[str, ...] = ()) -> tuple[Callable | None, Match | None]:
        return next(iter(self.text_candidates(text, last_list)), (None, None))
