"""Entry keywords: what a hit is worth, and which keywords a question hits (as written or as sound)."""
from __future__ import annotations

from bot.answers.matcher.text import Analysed


def of_entry(raw: list[str] | None, normalizer) -> tuple[dict[str, Analysed], list[tuple[str, tuple[str, ...]]]]:
    """An entry's keywords, normalised (论椅 and 轮椅 both become 轮椅: one keyword), each with its
    " pinyin " sounds. A keyword the synonym table shortens (长期护理保险 → 长护险) is also heard as
    said in full: dictation garbles the long form ("长期护理保线") past what the table lists."""
    analysed: dict[str, Analysed] = {}
    sounds: dict[str, set[str]] = {}
    for kw in raw or []:
        a = normalizer.analyse(kw)
        if a.compact:
            analysed.setdefault(a.compact, a)
            sounds.setdefault(a.compact, {f" {a.pinyin_text} "}).add(f" {normalizer.as_said(kw).pinyin_text} ")
    return analysed, [(k, tuple(sorted(s))) for k, s in sounds.items()]


def listed(keyword_lists: list[list[tuple[str, tuple[str, ...]]]], places=()) -> list[frozenset[str]]:
    """Each entry's keywords that can settle a close call (rank.said_only_by); place words (外地 …)
    say where someone is, not what is asked."""
    places = set(places)
    return [frozenset(k for k, _ in keywords if k not in places) for keywords in keyword_lists]


def weights(keyword_lists: list[list[tuple[str, tuple[str, ...]]]], places=(),
            place_weight: float = 1.0) -> dict[str, float]:
    """Keyword → what a hit is worth: 1 if one topic lists it, 1/n if n topics do (一级, 代缴).

    Discounting words that other topics' samples merely use (轮椅, 丢了) was tried too; it lost
    more right answers than it saved on the dev set: the editors' choice of keywords is signal.
    """
    listed: dict[str, int] = {}
    for keywords in keyword_lists:
        for kw, _sound in keywords:
            listed[kw] = listed.get(kw, 0) + 1
    return {kw: (place_weight if kw in places else 1.0) / n for kw, n in listed.items()}


def hits(keywords: list[tuple[str, tuple[str, ...]]], analysed: Analysed,
         weight: dict[str, float]) -> tuple[list[str], float]:
    """Keywords found in the question (as written, or as sound: " pinyin " of the keyword as
    normalised and as said in full); rarer keywords count more."""
    text, sound = analysed.compact, f" {analysed.pinyin_text} "
    found, score = [], 0.0
    for kw, kw_sounds in keywords:
        if kw in text:
            worth = 1.0
        elif any(s.count(" ") >= 4 and s in sound for s in kw_sounds):  # 3+ syllables: 2 match too much
            worth = 0.8
        else:
            continue
        found.append(kw)
        score += worth * weight.get(kw, 1.0)
    return found, min(1.0, score)
