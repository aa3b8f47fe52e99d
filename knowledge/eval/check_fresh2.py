"""Validate fresh2.tsv, the second held-out set, without running the matcher and without printing other sets.

    python3 knowledge/eval/check_fresh2.py            # exit 1 on any problem

Same checks as check_fresh.py (it reuses that file's readers), with fresh2's thresholds: every entry
asked at least twice, the big topics at least five times, at least 170 in scope and 50 out of scope,
at least 30 of the out-of-scope questions near-domain (a referral id, or `none` naming a neighbouring
public service). Compared with EVERY other set, fresh.tsv included: an exact copy or a near copy
(similarity >= NEAR after removing spaces and punctuation) is a problem, and only fresh2.tsv's own
lines are ever shown. Also prints rough style counts (dictation-like, long, dialect) for README.md.
"""
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from check_fresh import coverage, copies, entry_kinds, line_problems, rows, scope_groups  # noqa: E402

# Referral entries written in round 3, after this set: it cannot have asked for them by id (its
# questions on these topics are labelled `none`, where a referral reply is fine).
WRITTEN_AFTER = {"ref.funeral", "ref.family_planning", "ref.public_housing", "ref.unemployment"}

NEAR = 0.85
HERE = Path(__file__).parent
FRESH2 = HERE / "fresh2.tsv"
OTHER_SETS = [p for p in sorted(HERE.glob("*.tsv")) if p.name != FRESH2.name]
OTHER_SETS += sorted(Path("/work/shared/eval").glob("*.tsv"))
BIG_TOPICS = ["subsidy.living", "subsidy.care", "cert.apply", "cert.renew", "cert.transfer",
              "assess.level", "assess.home", "rehab.children", "aids.fitting", "insurance.medical",
              "insurance.pension", "insurance.accident", "edu.special_school", "edu.home_teaching",
              "edu.college", "employ.support", "employ.training", "access.home"]
# `none` questions about a neighbouring public service that has no referral entry of its own.
NEAR_DOMAIN_NONE = ["丧葬", "独生子女", "公租房", "保障性住房", "失业", "宅基地", "牌照"]
DIALECT = re.compile(r"俺|咋|木有|啥|伐|咧|嘞")


def main() -> int:
    kinds = entry_kinds()
    fresh = rows(FRESH2)
    problems = line_problems(fresh, kinds, FRESH2.name)
    exact, near_copies, compared = copies(fresh, OTHER_SETS, NEAR)
    problems += exact + near_copies  # unlike fresh.tsv, a near copy is a problem here
    per_id, missing = coverage(fresh, kinds, WRITTEN_AFTER, BIG_TOPICS, 5)
    problems += missing
    groups = scope_groups(fresh, kinds)
    near_none = sum(1 for _, ids, q in fresh if ids == ["none"] and any(w in q for w in NEAR_DOMAIN_NONE))
    out_of_scope = groups["none"] + groups["referral"]
    if out_of_scope < 50:
        problems.append(f"only {out_of_scope} out-of-scope questions, want at least 50")
    if groups["referral"] + near_none < 30:
        problems.append(f"only {groups['referral'] + near_none} near-domain traps, want at least 30")
    if groups["in scope"] < 170:
        problems.append(f"only {groups['in scope']} in-scope questions, want at least 170")

    questions = [q for _, _, q in fresh]
    dictated = sum(1 for q in questions if not re.search(r"[\s\W]", q) and len(q) >= 8)
    long = sum(1 for q in questions if len(q) >= 45)
    dialect = sum(1 for q in questions if DIALECT.search(q))
    print(f"{FRESH2.name}: {len(fresh)} questions: {groups['in scope']} in scope (answer or small talk), "
          f"{groups['referral']} referral traps, {groups['none']} none ({near_none} of them near-domain); "
          f"{sum(len(ids) > 1 for _, ids, _ in fresh)} with two acceptable ids")
    print(f"style (rough): {dictated} without any space or punctuation (dictation-like), "
          f"{long} of 45+ characters, {dialect} with dialect words")
    print(f"compared against {len(OTHER_SETS)} other set(s), {compared} questions")
    print("per id: " + ", ".join(f"{i} {c}" for i, c in sorted(per_id.items())))
    for line in problems:
        print("PROBLEM", line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
