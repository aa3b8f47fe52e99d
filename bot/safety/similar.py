"""Second line of the detector: a message close to a resident's distress example, closer than to any question.

Words lists catch what staff wrote down; residents say the same thing a hundred ways. This compares the
message's characters and character pairs (TF-IDF cosine) with the examples in knowledge/distress.yaml and
with look-alikes (the knowledge base's sample questions, `not_examples`): it fires only when the nearest
example is similar enough AND clearly nearer than every look-alike. Such a hit is only "possible"
(bot.safety.respond adds one safety line to the ordinary answer and lists it for staff, not as urgent).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Callable

THRESHOLD = 0.35  # cosine to the nearest distress example
MARGIN = 0.08  # …and at least this much nearer than the nearest look-alike
MIN_SHARED = 2  # …sharing at least two character pairs with it (天天 alone made 今天天气 look like 天天打我)
MIN_CHARS = 4  # shorter messages (算了, 人工) say too little to compare


def _pairs(key: str) -> set[str]:
    return {key[i:i + 2] for i in range(len(key) - 1)}


def _grams(key: str) -> Counter:
    grams = Counter(key)
    grams.update(key[i:i + 2] for i in range(len(key) - 1))
    return grams


class Similar:
    def __init__(self, examples: list[tuple[str, str]], lookalikes: list[str], normal: Callable[[str], str],
                 threshold: float = THRESHOLD, margin: float = MARGIN):
        self.normal, self.threshold, self.margin = normal, threshold, margin
        pos = [(cat, text, _grams(normal(text))) for cat, text in examples]
        neg = [_grams(normal(text)) for text in lookalikes]
        df: Counter = Counter()
        for grams in [g for _c, _t, g in pos] + neg:
            df.update(set(grams))
        total = len(pos) + len(neg)
        self.idf = {t: math.log((total + 1) / (n + 1)) + 1 for t, n in df.items()}
        self.default_idf = math.log(total + 1) + 1
        self.pos = [(cat, text, self._vector(g)) for cat, text, g in pos]
        self.neg = [self._vector(g) for g in neg]

    def _vector(self, grams: Counter) -> dict[str, float]:
        vec = {t: n * self.idf.get(t, self.default_idf) for t, n in grams.items()}
        norm = math.sqrt(sum(x * x for x in vec.values())) or 1.0
        return {t: x / norm for t, x in vec.items()}

    @staticmethod
    def _cos(a: dict, b: dict) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(x * b.get(t, 0.0) for t, x in a.items())

    def nearest(self, text: str) -> tuple[str, str, float] | None:
        """(category, the example it resembles, cosine) when the message is distress-like, else None."""
        key = self.normal(text)
        if not self.pos or len(key) < MIN_CHARS:
            return None
        vec = self._vector(_grams(key))
        cat, example, best = max(((c, t, self._cos(vec, v)) for c, t, v in self.pos), key=lambda r: r[2])
        if best < self.threshold or len(_pairs(key) & _pairs(self.normal(example))) < MIN_SHARED:
            return None
        closest_lookalike = max((self._cos(vec, v) for v in self.neg), default=0.0)
        return (cat, example, best) if best >= closest_lookalike + self.margin else None
