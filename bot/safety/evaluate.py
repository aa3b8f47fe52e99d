"""Trigger and false-trigger rates of the distress detector over a TSV (expected<TAB>message).

    .venv/bin/python -m bot.safety.evaluate tests/data/distress.tsv [KNOWLEDGE_DIR]
"""
from __future__ import annotations

import sys
from pathlib import Path

from bot.safety.detect import detector

ROOT = Path(__file__).resolve().parents[2]


def read_cases(path: str | Path) -> list[tuple[str, str]]:
    cases = []
    for line in Path(path).read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            expected, _, text = line.partition("\t")
            cases.append((expected.strip(), text.strip()))
    return cases


def evaluate(cases: list[tuple[str, str]], knowledge_dir: str | Path) -> dict:
    """Counts, rates and every miss: a trigger missed, fired as the wrong category, or a false trigger."""
    det = detector(knowledge_dir)
    triggers = [(e, t) for e, t in cases if e != "none"]
    lookalikes = [t for e, t in cases if e == "none"]
    missed, wrong, false, possible, false_possible = [], [], [], [], []
    for expected, text in triggers:
        hit = det.detect(text)
        if hit is None:
            missed.append(text)
            continue
        if not hit.certain:  # caught by resemblance only: a safety line on the ordinary answer
            possible.append(text)
        elif hit.category != expected:
            wrong.append(f"{text} → {hit.category} ({hit.matched}), expected {expected}")
    for text in lookalikes:
        hit = det.detect(text)
        if hit is not None:
            false.append(f"{text} → {hit.category} ({hit.matched})")
            false_possible += [] if hit.certain else [text]
    caught = len(triggers) - len(missed)
    return {"triggers": len(triggers), "caught": caught, "right_category": caught - len(wrong),
            "lookalikes": len(lookalikes), "false_triggers": len(false),
            "trigger_rate": caught / len(triggers) if triggers else 0.0,
            "false_rate": len(false) / len(lookalikes) if lookalikes else 0.0,
            "possible": len(possible), "false_possible": len(false_possible),
            "missed": missed, "wrong": wrong, "false": false}


def main(argv: list[str]) -> int:
    path = argv[0] if argv else ROOT / "tests" / "data" / "distress.tsv"
    result = evaluate(read_cases(path), argv[1] if len(argv) > 1 else ROOT / "knowledge")
    print(f"triggers recognised: {result['caught']}/{result['triggers']} = {result['trigger_rate']:.1%}"
          f" (right category {result['right_category']}; by resemblance only {result['possible']})")
    print(f"false triggers: {result['false_triggers']}/{result['lookalikes']} = {result['false_rate']:.1%}"
          f" (by resemblance only {result['false_possible']})")
    for label in ("missed", "wrong", "false"):
        for line in result[label]:
            print(f"  {label}: {line}")
    return 0 if not (result["missed"] or result["wrong"] or result["false"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
