"""Text normalisation for matching: simplified script, synonyms, fillers, char and pinyin terms."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
import zhconv
from pypinyin import lazy_pinyin

from bot.normalize import nfkc, strip_emoji

# Everything that is not a Han character, a digit or a Latin letter separates segments.
_SEPARATORS = re.compile(r"[^\u4e00-\u9fff0-9a-z]+")
# Units: one Han character, or a run of digits/letters ("12385", "b2", "app").
_UNITS = re.compile(r"[\u4e00-\u9fff]|[0-9a-z]+")
# Phone numbers read aloud come back from voice input as Chinese digits ("幺二三八五").
_CN_DIGITS = str.maketrans("零〇幺一二三四五六七八九", "001123456789")
_CN_DIGIT_RUN = re.compile(r"[零〇幺一二三四五六七八九]{4,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")
PLACE = "乡镇"

# Fold initials and finals that voice input and southern accents confuse (zh/z, ch/c, sh/s,
# n/l, -ng/-n), so a near-homophone still meets its word in pinyin space.
_FOLD_INITIAL = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FOLD_FINAL = (("ang", "an"), ("eng", "en"), ("ing", "in"))


def fold_syllable(syl: str) -> str:
    for a, b in _FOLD_INITIAL:
        if syl.startswith(a):
            syl = b + syl[len(a):]
            break
    for a, b in _FOLD_FINAL:
        if syl.endswith(a):
            return syl[: -len(a)] + b
    return syl


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+|[0-9a-z]+")


@lru_cache(maxsize=20000)
def pinyin_units(segment: str) -> tuple[str, ...]:
    """Folded toneless syllables, one per unit (phrase-aware, so 重庆/重度 get the right reading)."""
    out: list[str] = []
    for run in _HAN_RUN.findall(segment):
        if _HAN.match(run):  # a Han character without a reading stays itself
            out.extend(fold_syllable(s) for s in lazy_pinyin(run, errors=lambda c: list(c)))
        else:
            out.append(run)
    return tuple(out)


@dataclass
class Normalizer:
    """Turns a resident's message (or a sample question) into comparable text and terms."""

    synonyms: dict[str, str] = field(default_factory=dict)  # variant → canonical
    fillers: list[str] = field(default_factory=list)

    def __post_init__(self):
        def alternation(words):
            words = sorted({w for w in words if w}, key=len, reverse=True)  # longest first
            return re.compile("|".join(map(re.escape, words))) if words else None
        self._syn_re = alternation(self.synonyms)
        self._filler_re = alternation(self.fillers)

    @classmethod
    def load(cls, knowledge_dir: str | Path) -> "Normalizer":
        """synonyms.yaml, plus the county's towns (towns.yaml) all read as one word "乡镇"."""
        path = Path(knowledge_dir) / "synonyms.yaml"
        data = (yaml.safe_load(path.read_text("utf-8")) if path.exists() else None) or {}
        towns = Path(knowledge_dir) / "towns.yaml"
        if towns.exists():
            # "鳌江有没有残疾人之家" and a sample saying "麻步…" are the same question; a town name
            # the samples never mention would otherwise weigh like a rare, unmatched word.
            places = [w for t in (yaml.safe_load(towns.read_text("utf-8")) or {}).get("towns", [])
                      for w in (t.get("name"), *(t.get("aliases") or ())) if w]
            data = {**data, "synonyms": {**(data.get("synonyms") or {}), PLACE: places}}
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict) -> "Normalizer":
        synonyms: dict[str, str] = {}
        for canonical, variants in (data.get("synonyms") or {}).items():
            canonical = _prepare(str(canonical))
            # The canonical word maps to itself so that, scanning longest-first, "危房改造" is
            # kept whole instead of its variant "危房" being expanded inside it.
            synonyms.setdefault(canonical, canonical)
            for variant in variants or []:
                variant = _prepare(str(variant))
                if variant and variant != canonical:
                    synonyms[variant] = canonical
        fillers = [_prepare(str(f)) for f in data.get("fillers") or []]
        return cls(synonyms, fillers)

    def text(self, raw: str) -> str:
        """Normalised text: segments separated by single spaces."""
        text = _prepare(raw)
        if self._syn_re is not None:
            text = self._syn_re.sub(lambda m: self.synonyms[m.group(0)], text)
        if self._filler_re is not None:
            # "你好" alone is a greeting, not filler: keep the words if nothing else is left.
            text = self._filler_re.sub(" ", text).strip() or text
        return " ".join(text.split())

    def analyse(self, raw: str) -> "Analysed":
        return Analysed.of(self.text(raw))


def _prepare(raw: str) -> str:
    """Script and width folding that needs no knowledge: 繁→简, 全角→半角, emoji out, 幺二三→123."""
    text = zhconv.convert(strip_emoji(nfkc(raw)), "zh-cn")
    text = _CN_DIGIT_RUN.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


@dataclass(frozen=True)
class Analysed:
    """A normalised text with its char and pinyin unit sequences (segments kept apart)."""

    text: str
    chars: tuple[tuple[str, ...], ...]
    pinyin: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, text: str) -> "Analysed":
        segments = [s for s in text.split(" ") if s]
        chars = tuple(tuple(_UNITS.findall(s)) for s in segments)
        pinyin = tuple(pinyin_units(s) for s in segments)
        return cls(text, chars, pinyin)

    @property
    def compact(self) -> str:
        return self.text.replace(" ", "")

    @property
    def syllables(self) -> tuple[str, ...]:
        return tuple(s for seg in self.pinyin for s in seg)

    @property
    def pinyin_text(self) -> str:
        return " ".join(" ".join(seg) for seg in self.pinyin)

    def terms(self) -> dict[str, int]:
        """Term frequencies: char unigrams "c:残", bigrams "c:残疾", pinyin "p:can", "p:can_ji"."""
        counts: dict[str, int] = {}
        for prefix, joiner, sequences in (("c:", "", self.chars), ("p:", "_", self.pinyin)):
            for seq in sequences:
                for i, unit in enumerate(seq):
                    key = prefix + unit
                    counts[key] = counts.get(key, 0) + 1
                    if i + 1 < len(seq):
                        key = prefix + unit + joiner + seq[i + 1]
                        counts[key] = counts.get(key, 0) + 1
        return counts
