"""Choose the fused matcher's weight and thresholds by 5-fold cross-validation on the TUNING half only.

Tuning data (issue 11, round 4): tune.tsv, tune-extra.tsv, tune-extra2.tsv, test.tsv, check-late.tsv,
fresh.tsv to fresh7.tsv (each run once as the held-out set, then spent: tuning data now). Never run it on
fresh8.tsv or any later held-out set.

Each question is matched once (candidates with their lexical score and cosine); the decision is then
replayed for every setting on the grid. Prints the cross-validated figures and the setting chosen on
all the tuning data.

    .venv/bin/python benchmarks/tune_semantic.py knowledge/eval/tune.tsv knowledge/eval/tune-extra.tsv \
        knowledge/eval/test.tsv knowledge/eval/tune-extra2.tsv knowledge/eval/check-late.tsv \
        knowledge/eval/fresh.tsv knowledge/eval/fresh2.tsv knowledge/eval/fresh3.tsv knowledge/eval/fresh4.tsv \
        knowledge/eval/fresh5.tsv knowledge/eval/fresh6.tsv knowledge/eval/fresh7.tsv
"""
from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.kb import read_tsv  # noqa: E402
from bot.answers.knowledge import Bundle  # noqa: E402
from bot.answers.matcher import rank  # noqa: E402

GRID = {"w": (0.3, 0.4), "answer_min": [round(0.45 + 0.025 * i, 3) for i in range(7)],
        "margin_min": (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08), "lexical_floor": (0.15, 0.2, 0.25),
        "disagree_margin": (0.0, 0.05, 0.08)}
PENALTY = 4  # a wrong answer (or an out-of-scope one) costs as much as four right ones gain
# Real questions will be stranger than these: of the settings within SLACK right answers of the best,
# take the most cautious one (highest thresholds), not the one that just scrapes past these questions.
SLACK = 2.0


def judge(rows, rules: rank.Rules, w: float) -> dict:
    stats = {"n": 0, "right": 0, "wrong": 0, "offered": 0, "oos": 0, "oos_answered": 0}
    for ok, result in rows:
        if result.candidates and "cos_e" not in result.candidates[0].components:
            res = result  # lexically decisive: the embedding was skipped, the answer stands
        else:
            cands = []
            for c in result.candidates:
                lex, cos = c.components["lex"], c.components["cos_e"]
                mismatch = c.components.get("object") == 0.0
                score = rank.fuse(lex, cos, w) * (rank.OBJECT_MISMATCH if mismatch else 1)
                cands.append(replace(c, score=score))
            res = rank.decide(result.question, result.normalized, cands, rules)
        got = res.offered[0] if res.decision == "answer" else None
        if "none" in ok:
            stats["oos"] += 1
            stats["oos_answered"] += bool(got and got.kind == "answer")
            continue
        stats["n"] += 1
        if got and got.entry_id in ok:
            stats["right"] += 1
            stats["offered"] += 1
        elif got:
            stats["wrong"] += 1
        else:
            stats["offered"] += bool(ok & {c.entry_id for c in res.offered})
    return stats


def utility(s: dict) -> float:
    return s["right"] - PENALTY * (s["wrong"] + s["oos_answered"]) - 0.5 * (s["n"] - s["offered"])


def settings():
    for w, a, m, f, d in itertools.product(*GRID.values()):
        yield w, replace(rank.SEMANTIC, answer_min=a, margin_min=m, lexical_floor=f, disagree_margin=d)


def best(rows):
    scored = [(utility(judge(rows, rules, w)), w, rules) for w, rules in settings()]
    top = max(u for u, _w, _r in scored)
    near = [(w, r) for u, w, r in scored if u >= top - SLACK]
    return max(near, key=lambda wr: (wr[1].answer_min + wr[1].margin_min + wr[1].lexical_floor
                                     + wr[1].disagree_margin, wr[0]))


# Held-out sets already run once and reported: tuning data from then on.
SPENT = {"fresh.tsv", "fresh2.tsv", "fresh3.tsv", "fresh4.tsv", "fresh5.tsv", "fresh6.tsv", "fresh7.tsv"}


def is_held_out(path: str) -> bool:
    """fresh8.tsv and later fresh*.tsv stay unseen; fresh.tsv to fresh7.tsv were run once and are spent."""
    name = Path(path).name
    return name.startswith("fresh") and name not in SPENT


# Close-call settings compared file by file with `--per-file` (margin_min, disagree_margin).
COMPARE = ((0.02, 0.05), (0.03, 0.05), (0.03, 0.06), (0.04, 0.06), (0.05, 0.06))


def per_file(rows_by_file) -> None:
    """right / offered / wrong / out-of-scope answered per file for each close-call setting."""
    for m, d in COMPARE:
        rules = replace(rank.SEMANTIC, margin_min=m, disagree_margin=d)
        for name, rows in rows_by_file.items():
            s = judge(rows, rules, rank.W_LEXICAL)
            n, o = s["n"] or 1, s["oos"] or 1
            print(f"margin {m} disagree {d} {name}: {s['right'] / n:.1%} / {s['offered'] / n:.1%} / "
                  f"{s['wrong'] / n:.1%} / {s['oos_answered'] / o:.1%}")


def main() -> None:
    paths = [a for a in sys.argv[1:] if a != "--per-file"]
    assert paths and not any(is_held_out(p) for p in paths), "never tune on a held-out set (fresh8.tsv …)"
    matcher = Bundle.load(ROOT / "knowledge").matcher
    assert matcher.semantic is not None, "the semantic extra is not installed"
    rows_by_file = {Path(path).name: [(ok, matcher.match(q)) for ok, q in read_tsv(path)] for path in paths}
    if "--per-file" in sys.argv:
        per_file(rows_by_file)
        return
    cross_validate([r for rows in rows_by_file.values() for r in rows])


def cross_validate(rows) -> None:
    """Choose on four fifths, judge on the fifth left out; then the setting chosen on all of it."""
    folds = [rows[i::5] for i in range(5)]
    total = {"n": 0, "right": 0, "wrong": 0, "offered": 0, "oos": 0, "oos_answered": 0}
    for i, held in enumerate(folds):
        train = [r for j, f in enumerate(folds) if j != i for r in f]
        w, rules = best(train)
        s = judge(held, rules, w)
        print(f"fold {i}: w={w} {rules} → {s}")
        total = {k: total[k] + s[k] for k in total}
    n, m = total["n"] or 1, total["oos"] or 1
    print(f"cross-validated: right {total['right'] / n:.1%} offered {total['offered'] / n:.1%} "
          f"wrong {total['wrong'] / n:.1%} oos answered {total['oos_answered'] / m:.1%}")
    w, rules = best(rows)
    print(f"chosen on all the tuning data: w={w} {rules} → {judge(rows, rules, w)}")


if __name__ == "__main__":
    main()
