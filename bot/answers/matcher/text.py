"""Text normalisation for matching: simplified script, synonyms, fillers, char and pinyin terms."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from bot.answers.normalize import nfkc, simplified, strip_emoji
from bot.answers.pinyin import syllables

# Everything that is not a Han character, a digit or a Latin letter separates segments.
_SEPARATORS = re.compile(r"[^\u4e00-\u9fff0-9a-z]+")
# Units: one Han character, or a run of digits/letters ("12385", "b2", "app").
_UNITS = re.compile(r"[\u4e00-\u9fff]|[0-9a-z]+")
# Phone numbers read aloud come back from voice input as Chinese digits ("幺二三八五").
_CN_DIGITS = str.maketrans("零〇幺一二三四五六七八九", "001123456789")
_CN_DIGIT_RUN = re.compile(r"[零〇幺一二三四五六七八九]{4,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")

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


_READINGS: dict[str, str] = {}  # Han character → folded toneless syllable


def _reading(char: str) -> str:
    """The character's usual reading, cached. One reading per character (not per phrase) keeps the
    index build fast and is consistent on both sides; homophones typed by voice input (残积/残疾,
    平/评, 不贴/补贴) share the usual reading anyway."""
    syl = _READINGS.get(char)
    if syl is None:
        syl = _READINGS[char] = fold_syllable(syllables(char, errors=lambda c: [c])[0])
    return syl


def pinyin_units(segment: str) -> tuple[str, ...]:
    """Folded toneless syllables, one per unit of the segment (Han char, or digit/letter run)."""
    return tuple(_reading(u) if _HAN.match(u) else u for u in _UNITS.findall(segment))


class Replacer:
    """Longest-match, left-to-right replacement of many literal words (faster than a regex
    alternation of hundreds of words, which tries every word at every position)."""

    def __init__(self, mapping: dict[str, str]):
        self.mapping = {k: v for k, v in mapping.items() if k}
        self.lengths: dict[str, list[int]] = {}  # first character → word lengths, longest first
        for word in self.mapping:
            self.lengths.setdefault(word[0], []).append(len(word))
        for first, lengths in self.lengths.items():
            self.lengths[first] = sorted(set(lengths), reverse=True)

    def __call__(self, text: str) -> str:
        out, i, n = [], 0, len(text)
        while i < n:
            for length in self.lengths.get(text[i], ()):
                word = text[i:i + length]
                if word in self.mapping:
                    out.append(self.mapping[word])
                    i += length
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out)


@dataclass
class Normalizer:
    """Turns a resident's message (or a sample question) into comparable text and terms."""

    synonyms: dict[str, str] = field(default_factory=dict)  # variant → canonical
    fillers: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)  # certificates and cards told apart (see rank.py)
    places: list[str] = field(default_factory=list)  # where one lives: weighs less than topic words
    home: list[str] = field(default_factory=list)  # the county's own name: says nothing about the topic
    # Our own certificate (残疾证): named in passing it is background, not another office's paper.
    own_objects: frozenset[str] = frozenset()

    def __post_init__(self):
        self._synonyms = Replacer(self.synonyms)
        self._fillers = Replacer({f: " " for f in self.fillers})
        self._home = Replacer({h: " " for h in self.home})

    @classmethod
    def load(cls, knowledge_dir: str | Path) -> "Normalizer":
        """synonyms.yaml, plus the county's towns (towns.yaml), which are dropped like fillers."""
        path = Path(knowledge_dir) / "synonyms.yaml"
        data = (yaml.safe_load(path.read_text("utf-8")) if path.exists() else None) or {}
        towns = Path(knowledge_dir) / "towns.yaml"
        if towns.exists():
            # "麻步有没有残疾人之家" asks what "鳌江有没有…" asks: the town does not choose the topic,
            # and a town the samples never mention would weigh like a rare, unmatched word.
            places = [w for t in (yaml.safe_load(towns.read_text("utf-8")) or {}).get("towns", [])
                      for w in (t.get("name"), *(t.get("aliases") or ())) if w]
            data = {**data, "fillers": [*(data.get("fillers") or []), *places]}
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
        objects = [_prepare(str(o)) for o in data.get("objects") or []]
        places = [_prepare(str(o)) for o in data.get("places") or []]
        home = [_prepare(str(o)) for o in data.get("home") or []]
        own = frozenset(_prepare(str(o)) for o in data.get("own_objects") or [])
        return cls(synonyms, fillers, [o for o in objects if o], [p for p in places if p],
                   [h for h in home if h], own - {""})

    def text(self, raw: str) -> str:
        """Normalised text: segments separated by single spaces."""
        text = self._synonyms(_prepare(raw))
        # "你好" alone is a greeting, not filler: keep the words if nothing else is left.
        text = self._fillers(text).strip() or text
        return " ".join(text.split())

    def meaning(self, normalized: str) -> str:
        """What the sentence embedding reads: the normalised text without the county's name
        (every question here is about 平阳; the name only makes "明天平阳下雨吗" look like "平阳低保")."""
        return " ".join(self._home(normalized).split()) or normalized

    def objects_in(self, normalized: str) -> frozenset[str]:
        written = {o for o in self.objects if o in normalized}
        return frozenset(written | self._objects_heard(normalized, written))

    @cached_property
    def _object_words(self) -> list[tuple[str, tuple[str, ...], str]]:
        """(word, its sounds, the object) for each object and each variant of it in the synonyms."""
        words = {o: o for o in self.objects}
        words.update({v: c for v, c in self.synonyms.items() if c in words})
        papers = {o[-1] for o in self.objects}  # 证, 卡, 本, 照: a misspelling kept as a variant ("…正") is no paper
        # Three characters at least: two sound like too much ("在家照顾" has 驾照's sounds, "产证" 残证's).
        return [(w, pinyin_units(w), o) for w, o in words.items() if w[-1] in papers and len(w) >= 3]

    def _objects_heard(self, normalized: str, written: set[str]) -> set[str]:
        """Another office's card typed as a homophone (申份证 → 身份证, 驾使证 → 驾驶证): heard by sound,
        with its last character, the kind of paper (证, 照, 卡, 本), written as is, so that "低保正常"
        or "加找" never sound like a certificate."""
        heard = set()
        for word, sounds, obj in self._object_words:
            if obj in written or obj in heard:
                continue
            at = normalized.find(word[-1], len(word) - 1)
            while at != -1:
                said = normalized[at - len(word) + 1:at + 1]
                if _HAN.fullmatch(said[0]) and pinyin_units(said) == sounds:
                    heard.add(obj)
                    break
                at = normalized.find(word[-1], at + 1)
        return heard

    def analyse(self, raw: str) -> "Analysed":
        return Analysed.of(self.text(raw))

    def as_said(self, raw: str) -> "Analysed":
        """The text folded (script, width) but with no synonym or filler applied."""
        return Analysed.of(_prepare(raw))


def _prepare(raw: str) -> str:
    """Script and width folding that needs no knowledge: 繁→简, 全角→半角, emoji out, 幺二三→123."""
    text = simplified(strip_emoji(nfkc(raw)))
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

    # Cached: the matcher asks for these once per candidate (a dozen times a question).
    @cached_property
    def compact(self) -> str:
        return self.text.replace(" ", "")

    @cached_property
    def syllables(self) -> tuple[str, ...]:
        return tuple(s for seg in self.pinyin for s in seg)

    @cached_property
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
