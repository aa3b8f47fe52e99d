"""Recognises distress (self-harm, violence, medical emergency, lost/danger) and complaints in one message."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.answers.knowledge_files import FileCache
from bot.answers.normalize import compact
from bot.answers.pinyin import syllables
from bot.safety.similar import Similar

ORDER = ("self_harm", "violence", "medical", "danger", "complaint")  # the first category that fires wins
DETECT_CACHE = 4096  # texts whose answer is kept (a few hundred kB)
PAST_WINDOW = 6  # characters before a strong word in which a past-time word makes it a story


@dataclass(frozen=True)
class Hit:
    category: str
    label: str
    priority: int  # 1 urgent, 2 complaint / a person asked for
    matched: str  # the word or pattern that fired, for staff ("不想活", "sounds:不想活了", "like:<example>")

    @property
    def certain(self) -> bool:
        """False for a message that only resembles an example (no word of the lists in it)."""
        return not self.matched.startswith("like:")


@dataclass
class Category:
    name: str
    label: str
    priority: int
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    sounds: tuple[tuple[str, str], ...]  # (phrase, "|syl|syl|")
    regex: tuple[re.Pattern, ...]
    weak_regex: tuple[re.Pattern, ...]
    past_story_is_policy: bool = False


def _syllables(text: str) -> str:
    """'|bu|xiang|huo|le|': toneless pinyin with separators, so a phrase matches whole syllables only."""
    return "|" + "|".join(syllables(text)) + "|"


class Detector:
    def __init__(self, data: dict):
        self.fold = sorted(((compact(k), compact(v)) for k, v in (data.get("fold") or {}).items()),
                           key=lambda kv: -len(kv[0]))  # longest first: 摔到了 before 到
        self.ignore = sorted((compact(w) for w in data.get("ignore") or []), key=len, reverse=True)
        self.context = tuple(compact(w) for w in data.get("policy_context") or [])
        self.past = tuple(compact(w) for w in data.get("past_markers") or [])
        cats = data.get("categories") or {}
        self.categories = [self._category(name, cats[name]) for name in ORDER if name in cats]
        self.similar: Similar | None = None
        examples = [(c.name, str(t)) for c in self.categories for t in cats[c.name].get("examples") or []]
        if examples:
            lookalikes = [str(t) for t in data.get("not_examples") or []] + list(data.get("questions") or [])
            self.similar = Similar(examples, lookalikes, self.normal)
        self._cached_detect = functools.lru_cache(maxsize=DETECT_CACHE)(self._detect)

    @staticmethod
    def _category(name: str, spec: dict) -> Category:
        words = lambda key: tuple(compact(w) for w in spec.get(key) or [])  # noqa: E731
        return Category(
            name=name, label=spec.get("label", name), priority=int(spec.get("priority", 1)),
            strong=words("strong"), weak=words("weak"),
            sounds=tuple((w, _syllables(w)) for w in words("sounds_like")),
            regex=tuple(re.compile(r) for r in spec.get("regex") or []),
            weak_regex=tuple(re.compile(r) for r in spec.get("weak_regex") or []),
            past_story_is_policy=bool(spec.get("past_story_is_policy")))

    def normal(self, text: str) -> str:
        """Compact, dialect and typos folded, look-alike phrases removed."""
        key = compact(text)
        for old, new in self.fold:
            key = key.replace(old, new)
        for word in self.ignore:
            key = key.replace(word, "")
        return key

    def detect(self, text: str) -> Hit | None:
        """The category this message is in (distress or a complaint), or None. Every text message goes
        through it first; residents repeat themselves ("菜单", "1", "找工作"), so answers are kept per
        text (Hit is frozen: sharing it is safe). A changed distress.yaml is a new Detector."""
        return self._cached_detect(text)

    def _detect(self, text: str) -> Hit | None:
        key = self.normal(text)
        if not key:
            return None
        policy = any(w in key for w in self.context)
        sounds = None
        for cat in self.categories:
            past = policy and cat.past_story_is_policy
            matched = next((w for w in cat.strong if w in key and not (past and self._in_the_past(key, w))), None)
            matched = matched or next((f"re:{r.pattern}" for r in cat.regex if r.search(key)), None)
            if matched is None and cat.sounds:
                sounds = sounds or _syllables(key)
                matched = next((f"sounds:{w}" for w, syl in cat.sounds if syl in sounds
                                and not (past and w in key and self._in_the_past(key, w))), None)
            if matched is None and not policy:
                matched = next((w for w in cat.weak if w in key), None)
                matched = matched or next((f"re:{r.pattern}" for r in cat.weak_regex if r.search(key)), None)
            if matched is not None:
                return Hit(cat.name, cat.label, cat.priority, matched[:64])
        near = self.similar.nearest(text) if self.similar is not None and not policy else None
        if near is not None and near[0] != "complaint":  # a complaint by resemblance is not worth the noise
            cat = next(c for c in self.categories if c.name == near[0])
            return Hit(cat.name, cat.label, cat.priority, f"like:{near[1]}"[:64])
        return None


    def _in_the_past(self, key: str, word: str) -> bool:
        """Each time word occurs, a past-time word comes just before it ("去年摔了起不来")."""
        start = key.find(word)
        while start != -1:
            if not any(m in key[max(0, start - PAST_WINDOW):start] for m in self.past):
                return False
            start = key.find(word, start + 1)
        return bool(self.past)


def _build(path: Path) -> Detector:
    data = (yaml.safe_load(path.read_text("utf-8")) if path.exists() else None) or {}
    data["questions"] = _sample_questions(path.parent / "entries")
    return Detector(data)


_detectors = FileCache(_build)


def detector(knowledge_dir: str | Path) -> Detector:
    """The detector for knowledge_dir/distress.yaml, rebuilt when the file changes (staff edit it)."""
    return _detectors.get(Path(knowledge_dir) / "distress.yaml")


def _sample_questions(entries: Path) -> list[str]:
    """The knowledge base's sample questions: what residents ask when they are NOT in distress."""
    questions = []
    for path in sorted(entries.glob("*.yaml")) if entries.is_dir() else []:
        entry = yaml.safe_load(path.read_text("utf-8")) or {}
        questions += [str(q) for q in entry.get("questions") or []]
    return questions


def labels(knowledge_dir: str | Path) -> dict[str, str]:
    return {c.name: c.label for c in detector(knowledge_dir).categories}
