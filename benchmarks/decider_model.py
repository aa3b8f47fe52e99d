"""Answer or ask? A small logistic model of P(the fused top candidate is the right topic).

One fused-score threshold plus one margin could not tell a right answer 0.03 ahead from a wrong one
0.04 ahead (rounds 2–3, knowledge/eval/README.md): the margin alone says nothing about *why* the top
is ahead. This model also looks at whether the words and the meaning agree, at keywords, at the
certificate named, and at whether the runner-up is a sibling topic (cert.apply vs cert.renew: a
close call between siblings is common and harmless to ask about, a close call across families is
where wrong answers were). Only the fused path (embedding on) uses it; the lexical-only path keeps
rank.LEXICAL's threshold and margin.

The coefficients come from benchmarks/train_decider.py (the spent eval sets); nothing here is tuned
by hand. Scoring is a dot product in plain Python (~µs). The trainer replays a model through
rank.Rules.decider, which asks for `probability_of(top, runner, normalized)` and `threshold`.

An experiment, not part of the bot: trained on the six older sets it chose a threshold that gave
4.1–5.0% wrong answers on fresh2.tsv against the margin rule's 1.4% (the older sets' content was
fixed from their own misses, so they look safer than new questions are). Kept here, with its trainer,
to be retried when more unseen questions exist; knowledge/eval/README.md, round 4.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

NAMES = ("score", "margin", "log_margin", "lex", "cos", "runner_lex", "runner_cos", "cos_margin",
         "agree", "kw", "has_kw", "object_ok", "object_bad", "log_len", "same_family", "referral",
         "smalltalk", "cover", "fuzz")


def _cos(c) -> float:
    """The e5 cosine on the part above unrelated questions' level, as fuse() uses it."""
    return max(0.0, min(1.0, (c.components.get("cos_e", 0.8) - 0.80) / 0.20))


def family(entry_id: str) -> str:
    return entry_id.split(".", 1)[0]


def features(top, runner, normalized: str) -> list[float]:
    """What the decision may look at, in NAMES order (candidates: rank.Candidate, fused)."""
    comp = top.components
    lex = comp.get("lex", top.score)
    r_score = runner.score if runner else 0.0
    r_lex = runner.components.get("lex", 0.0) if runner else 0.0
    r_cos = _cos(runner) if runner else 0.0
    margin = top.score - r_score
    obj = comp.get("object")
    return [top.score, margin, math.log(max(margin, 0.0) + 0.01), lex, _cos(top), r_lex, r_cos,
            _cos(top) - r_cos, 1.0 if lex >= r_lex else 0.0, comp.get("kw", 0.0),
            1.0 if top.keywords else 0.0,
            1.0 if obj == 1.0 else 0.0, 1.0 if obj == 0.0 else 0.0,
            math.log(1 + len(normalized.replace(" ", ""))),
            1.0 if runner and family(runner.entry_id) == family(top.entry_id) else 0.0,
            1.0 if top.kind == "referral" else 0.0, 1.0 if top.kind == "smalltalk" else 0.0,
            comp.get("cover", 0.0), comp.get("fuzz", 0.0)]


@dataclass(frozen=True)
class Decider:
    """Standardise, weigh, squash: answer when P(right) reaches the threshold."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, values: list[float]) -> float:
        z = self.bias + sum(w * (v - m) / s
                            for w, v, m, s in zip(self.weights, values, self.means, self.scales))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def probability_of(self, top, runner, normalized: str) -> float:
        return self.probability(features(top, runner, normalized))
