"""The knowledge base: entries from knowledge/entries/*.yaml, validated, hot-reloaded on change."""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.answers.local_facts import LocalFacts
from bot.answers.matcher import Matcher
from bot.answers.matcher.text import Normalizer

log = logging.getLogger(__name__)

KINDS = ("answer", "referral", "smalltalk")
REQUIRED = ("id", "kind", "title", "questions", "answer")
MAX_ANSWER_CHARS = 600
RELOAD_CHECK_SECONDS = 2.0  # how often a worker looks at knowledge/ for edits (tests set 0)


@dataclass
class Entry:
    id: str
    kind: str
    title: str
    questions: list[str]
    answer: str
    keywords: list[str] = field(default_factory=list)
    source: str = ""
    updated: str = ""
    links: list = field(default_factory=list)
    path: str = ""

    @classmethod
    def from_dict(cls, data: dict, path: str = "") -> "Entry":
        missing = [k for k in REQUIRED if not data.get(k)]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        if data["kind"] not in KINDS:
            raise ValueError(f"kind must be one of {'/'.join(KINDS)}, not {data['kind']!r}")
        return cls(id=str(data["id"]).strip(), kind=data["kind"], title=str(data["title"]).strip(),
                   questions=[str(q).strip() for q in data["questions"] if str(q).strip()],
                   answer=str(data["answer"]).strip(), keywords=[str(k) for k in data.get("keywords") or []],
                   source=str(data.get("source") or ""), updated=str(data.get("updated") or ""),
                   links=list(data.get("links") or []), path=path)


@dataclass
class KnowledgeBase:
    entries: dict[str, Entry]
    problems: list[str]  # files that could not be loaded (shown by `kb check`, logged)
    raw: dict[str, dict]  # id → the YAML mapping as written, for the linter

    @classmethod
    def load(cls, knowledge_dir: str | Path, previous: "KnowledgeBase | None" = None) -> "KnowledgeBase":
        """Load every entry; a broken file keeps its previous version rather than vanishing."""
        entries: dict[str, Entry] = {}
        raw: dict[str, dict] = {}
        problems: list[str] = []
        kept = {e.path: e for e in previous.entries.values()} if previous else {}
        for path in sorted((Path(knowledge_dir) / "entries").glob("*.y*ml")):
            try:
                data = yaml.safe_load(path.read_text("utf-8"))
                items = data if isinstance(data, list) else [data]
                for item in items:
                    if not isinstance(item, dict):
                        raise ValueError("not a mapping of fields")
                    entry = Entry.from_dict(item, str(path))
                    if entry.id in entries:
                        raise ValueError(f"duplicate id {entry.id} (also in {entries[entry.id].path})")
                    entries[entry.id], raw[entry.id] = entry, item
            except (yaml.YAMLError, ValueError, OSError) as exc:
                problems.append(f"{path.name}: {exc}")
                log.error("knowledge entry %s not loaded: %s", path.name, exc)
                if str(path) in kept:
                    entries.setdefault(kept[str(path)].id, kept[str(path)])
        return cls(entries, problems, raw)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)


@dataclass
class Bundle:
    """What a worker answers from: entries, the matcher over them and the local facts."""

    kb: KnowledgeBase
    matcher: "object"  # bot.answers.matcher.Matcher
    local: LocalFacts
    built_seconds: float = 0.0
    topic_order: dict[str, int] = field(default_factory=dict)  # menu.yaml: most asked first in topic lists
    # Values derived from this knowledge by those who read it (the policy menu's topic lists), made
    # once per load: a reload builds a new bundle, and with it an empty memo.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, knowledge_dir: str | Path, previous: "Bundle | None" = None) -> "Bundle":
        started = time.perf_counter()
        kb = KnowledgeBase.load(knowledge_dir, previous.kb if previous else None)
        matcher = Matcher.build(kb.entries.values(), Normalizer.load(knowledge_dir))
        return cls(kb, matcher, LocalFacts.load(knowledge_dir), time.perf_counter() - started,
                   topic_order(knowledge_dir))


def topic_order(knowledge_dir: str | Path) -> dict[str, int]:
    """Entry id → rank from menu.yaml's `topic_order` (staff order topic lists by what people ask most)."""
    path = Path(knowledge_dir) / "menu.yaml"
    data = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}
    return {str(entry_id): i for i, entry_id in enumerate((data or {}).get("topic_order") or [])}


def signature(services) -> tuple:
    """Changes whenever a file under knowledge/ is edited, added or removed."""
    entries = Path(services.settings.knowledge_dir) / "entries"
    dir_mtime = os.stat(entries).st_mtime if entries.exists() else 0.0  # a deleted file bumps this
    return services.knowledge_mtime(), dir_mtime


_cache: dict[str, tuple[tuple, Bundle, float]] = {}
_lock = threading.Lock()


def bundle(services) -> Bundle:
    """This process's current bundle, rebuilt when knowledge/ changed (every worker checks)."""
    key = str(services.settings.knowledge_dir)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached and now - cached[2] < RELOAD_CHECK_SECONDS:
        return cached[1]
    with _lock:
        cached = _cache.get(key)
        sig = signature(services)
        if cached and cached[0] == sig:
            _cache[key] = (sig, cached[1], now)
            return cached[1]
        try:
            fresh = Bundle.load(key, cached[1] if cached else None)
        except (yaml.YAMLError, OSError, ValueError, TypeError, AttributeError):
            if cached is None:
                raise
            # A staff edit broke synonyms.yaml or local.yaml: keep answering from the last good
            # version until the next change; `wxbot kb check` shows what is wrong.
            log.exception("knowledge reload failed; still using the previous version")
            _cache[key] = (sig, cached[1], now)
            return cached[1]
        log.info("knowledge loaded: %d entries in %.0f ms", len(fresh.kb.entries), fresh.built_seconds * 1000)
        _cache[key] = (sig, fresh, now)
        return fresh
