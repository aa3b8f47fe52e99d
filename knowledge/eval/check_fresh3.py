"""Validate fresh3.tsv, the third held-out set, without running the matcher and without printing other sets.

    python3 knowledge/eval/check_fresh3.py            # exit 1 on any problem

Same checks as check_fresh.py (it reuses that file's readers), with fresh3's thresholds: every entry
asked at least three times, the big topics at least six times, at least 210 in scope and 60 out of
scope, at least 35 of the out-of-scope questions near-domain (a referral id, or `none` naming a
neighbouring public service). Compared with EVERY other set, fresh.tsv and fresh2.tsv included: an
exact copy or a near copy (similarity >= NEAR after removing spaces and punctuation) is a problem, and
only fresh3.tsv's own lines are ever shown. Every current entry existed before the set was written,
so no entry is exempt. Also prints rough style counts (dictation-like, long, dialect) for README.md.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from check_fresh import coverage, copies, entry_kinds, line_problems, rows, scope_groups  # noqa: E402

NEAR = 0.85
PER_ENTRY_MIN = 3
BIG_MIN = 6
HERE = Path(__file__).parent
FRESH3 = HERE / "fresh3.tsv"
OTHER_SETS = [p for p in sorted(HERE.glob("*.tsv")) if p.name != FRESH3.name]
OTHER_SETS += sorted(Path("/work/shared/eval").glob("*.tsv"))
BIG_TOPICS = ["subsidy.living", "subsidy.care", "cert.apply", "cert.renew", "cert.transfer",
              "assess.level", "assess.home", "rehab.children", "aids.fitting", "insurance.medical",
              "insurance.pension", "insurance.accident", "edu.special_school", "edu.home_teaching",
              "edu.college", "employ.support", "employ.training", "access.home"]
# `none` questions about a neighbouring public service that has no referral entry of its own.
NEAR_DOMAIN_NONE = ["宅基地", "牌照", "种粮", "拆迁", "疫苗", "挂号", "遗体捐献", "征地", "路灯",
                    "燃油补贴", "停车位"]
DIALECT = re.compile(r"俺|咋|木有|啥|伐|咧|嘞|哪能|侬|娃")


def main() -> int:
    kinds = entry_kinds()
    fresh = rows(FRESH3)
    problems = line_problems(fresh, kinds, FRESH3.name)
    exact, near_copies, compared = copies(fresh, OTHER_SETS, NEAR)
    problems += exact + near_copies  # a near copy is a problem, as for fresh2.tsv
    per_id, missing = coverage(fresh, kinds, set(), BIG_TOPICS, BIG_MIN)
    problems += missing
    problems += [f"{i}: asked {per_id[i]} time(s), want at least {PER_ENTRY_MIN}" for i in kinds
                 if 2 <= per_id[i] < PER_ENTRY_MIN]  # below 2 is already reported by coverage()
    groups = scope_groups(fresh, kinds)
    near_none = sum(1 for _, ids, q in fresh if ids == ["none"] and any(w in q for w in NEAR_DOMAIN_NONE))
    out_of_scope = groups["none"] + groups["referral"]
    if out_of_scope < 60:
        problems.append(f"only {out_of_scope} out-of-scope questions, want at least 60")
    if groups["referral"] + near_none < 35:
        problems.append(f"only {groups['referral'] + near_none} near-domain traps, want at least 35")
    if groups["in scope"] < 210:
        problems.append(f"only {groups['in scope']} in-scope questions, want at least 210")

    questions = [q for _, _, q in fresh]
    dictated = sum(1 for q in questions if not re.search(r"[\s\W]", q) and len(q) >= 8)
    long = sum(1 for q in questions if len(q) >= 45)
    dialect = sum(1 for q in questions if DIALECT.search(q))
    print(f"{FRESH3.name}: {len(fresh)} questions: {groups['in scope']} in scope (answer or small talk), "
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
