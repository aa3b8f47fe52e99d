"""What a feature declares (handlers, flows, ticks, audiences, forgetters, CLI, console pages) and the
one object that collects the features listed, in priority order, by the composition root handlers/.

Nothing registers itself: a module only declares `FEATURE = Feature(...)`; Services, the scheduler,
the CLI, the console and "删除我的信息" read the collected lists from `installed()` (or a Features
object given to them, as tests do).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Callable, Iterable

from sqlalchemy.orm import Session

TagProvider = Callable[[Session], Iterable[str]]
AudienceProvider = Callable[[Session, str], Iterable[str]]
Forgetter = Callable[[Session, str], "int | None"]


@dataclass(frozen=True)
class Tick:
    """A periodic, idempotent job of a Runtime; `name` is its fixed APScheduler id."""

    name: str
    fn: Callable[..., object]
    seconds: float


@dataclass(frozen=True)
class Feature:
    name: str
    handlers: tuple = ()  # tagged handler functions (bot.engine.router.handler), in priority order
    flows: tuple = ()  # bot.engine.flows.Flow objects whose steps the dispatcher runs
    ticks: tuple[Tick, ...] = ()
    tag_audiences: dict[str, TagProvider] = field(default_factory=dict)  # "registered" → its openids
    audiences: dict[str, AudienceProvider] = field(default_factory=dict)  # "round" → openids of "round:ID"
    forgetters: tuple[tuple[str, Forgetter], ...] = ()  # (what the resident is told, forget(session, openid))
    cli: tuple = ()  # click commands / groups added to `wxbot`
    pages: tuple[str, ...] = ()  # console view modules (bot.admin.views.*) this feature shows


class Features:
    """The features of this server, in priority order: what every collector reads."""

    def __init__(self, features: Iterable[Feature]):
        self.features = tuple(features)
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError(f"feature listed twice: {names}")

    def _all(self, attr: str) -> list:
        return [item for f in self.features for item in getattr(f, attr)]

    def _merged(self, attr: str) -> dict:
        merged: dict = {}
        for f in self.features:
            for key, value in getattr(f, attr).items():
                if key in merged:
                    raise ValueError(f"{attr} {key!r} declared twice")
                merged[key] = value
        return merged

    @property
    def handlers(self) -> list:
        return self._all("handlers")

    @property
    def flows(self) -> list:
        return self._all("flows")

    @property
    def ticks(self) -> dict[str, Tick]:
        """Tick id → Tick, in declaration order (the order `scheduler --once` runs them)."""
        ticks = self._all("ticks")
        if len({t.name for t in ticks}) != len(ticks):
            raise ValueError("a tick id is declared twice")
        return {t.name: t for t in ticks}

    @property
    def tag_audiences(self) -> dict[str, TagProvider]:
        return self._merged("tag_audiences")

    @property
    def audiences(self) -> dict[str, AudienceProvider]:
        return self._merged("audiences")

    @property
    def forgetters(self) -> list[tuple[str, Forgetter]]:
        return self._all("forgetters")

    @property
    def cli(self) -> list:
        return self._all("cli")

    @property
    def pages(self) -> list[str]:
        return list(dict.fromkeys(self._all("pages")))

    def with_(self, *extra: Feature, without: Iterable[str] = ()) -> "Features":
        """A copy with features added or left out by name (tests: a probe tick, no "subscribers")."""
        dropped = set(without)
        return Features([f for f in self.features if f.name not in dropped] + list(extra))


@cache
def installed() -> Features:
    """The features the composition root lists (built once per process, on first use)."""
    # why: handlers/ is the composition root above bot/ (its modules import bot's): reached at run time.
    from handlers import FEATURES
    return Features(FEATURES)
