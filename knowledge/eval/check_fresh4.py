"""Validate fresh4.tsv, the fourth held-out set, without running the matcher and without printing other sets.

    python3 knowledge/eval/check_fresh4.py            # exit 1 on any problem

Same checks as check_fresh.py (it reuses that file's readers), with fresh4's thresholds: every entry
asked at least twice, the big topics at least five times, at least 180 in scope and 60 out of scope,
at least 30 of the out-of-scope questions near-domain (a referral id, or `none` naming a neighbouring
public service). Compared with EVERY other set, fresh.tsv, fresh2.tsv and fresh3.tsv included: an
exact copy or a near copy (similarity >= NEAR after removing spaces and punctuation) is a problem, and
only fresh4.tsv's own lines are ever shown. Every current entry existed before the set was written,
so no entry is exempt. Also prints rough style counts (dictation-like, long, dialect, for a relative
or neighbour) for README.md.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from check_fresh import coverage, copies, entry_kinds, line_problems, rows, scope_groups  # noqa: E402

NEAR = 0.85
BIG_MIN = 5
HERE = Path(__file__).parent
FRESH4 = HERE / "fresh4.tsv"
OTHER_SETS = [p for p in sorted(HERE.glob("*.tsv")) if p.name != FRESH4.name]
OTHER_SETS += sorted(Path("/work/shared/eval").glob("*.tsv"))
# The brief's big topics; insurance.*, edu.* and employ.* are taken as all their entries.
BIG_TOPICS = ["subsidy.living", "subsidy.care", "cert.apply", "cert.renew", "cert.transfer",
              "assess.level", "assess.home", "rehab.children", "aids.fitting", "insurance.medical",
              "insurance.pension", "insurance.accident", "edu.special_school", "edu.home_teaching",
              "edu.college", "employ.support", "employ.training", "employ.graduates", "employ.quota",
              "access.home"]
# `none` questions about a neighbouring public service that has no referral entry of its own.
NEAR_DOMAIN_NONE = ["修路", "挂号", "挂好", "缴费基数", "电费", "宅基地", "村务", "自来水", "疫苗",
                    "农机", "路等", "路灯", "耕地", "拆迁", "避灾"]
DIALECT = re.compile(r"俺|咋|木有|啥|伐|咧|嘞|哪能|侬|娃")
FOR_SOMEONE = re.compile(r"我(爸|妈|老公|老婆|男人|儿子|女儿|闺女|哥|弟|姐|妹|婆婆|公公|爷爷|奶奶|外婆|外甥|舅|侄)"
                         r"|俺(娘|娃|闺女|儿子|男人|弟|哥|婆婆|孙子|家娃)|邻居|隔壁|孩子|小孩|老人|老父亲")


def main() -> int:
    kinds = entry_kinds()
    fresh = rows(FRESH4)
    problems = line_problems(fresh, kinds, FRESH4.name)
    exact, near_copies, compared = copies(fresh, OTHER_SETS, NEAR)
    problems += exact + near_copies  # a near copy is a problem, as for fresh2.tsv and fresh3.tsv
    per_id, missing = coverage(fresh, kinds, set(), BIG_TOPICS, BIG_MIN)
    problems += missing  # below 2 for any entry, below BIG_MIN for a big topic
    groups = scope_groups(fresh, kinds)
    near_none = sum(1 for _, ids, q in fresh if ids == ["none"] and any(w in q for w in NEAR_DOMAIN_NONE))
    out_of_scope = groups["none"] + groups["referral"]
    if out_of_scope < 60:
        problems.append(f"only {out_of_scope} out-of-scope questions, want at least 60")
    if groups["none"] < 20 or near_none < 10:
        problems.append(f"{groups['none']} none ({near_none} near-domain), want at least 20 (10)")
    if groups["referral"] + near_none < 30:
        problems.append(f"only {groups['referral'] + near_none} near-domain traps, want at least 30")
    if groups["in scope"] < 180:
        problems.append(f"only {groups['in scope']} in-scope questions, want at least 180")

    questions = [q for _, _, q in fresh]
    dictated = sum(1 for q in questions if not re.search(r"[\s\W]", q) and len(q) >= 8)
    long = sum(1 for q in questions if len(q) >= 45)
    dialect = sum(1 for q in questions if DIALECT.search(q))
    for_someone = sum(1 for q in questions if FOR_SOMEONE.search(q))
    print(f"{FRESH4.name}: {len(fresh)} questions: {groups['in scope']} in scope (answer or small talk), "
          f"{groups['referral']} referral traps, {groups['none']} none ({near_none} of them near-domain); "
          f"{sum(len(ids) > 1 for _, ids, _ in fresh)} with two acceptable ids")
    print(f"style (rough): {dictated} without any space or punctuation (dictation-like), "
          f"{long} of 45+ characters, {dialect} with dialect words, "
          f"{for_someone} about a relative or neighbour")
    print(f"compared against {len(OTHER_SETS)} other set(s), {compared} questions")
    print("per id: " + ", ".join(f"{i} {c}" for i, c in sorted(per_id.items())))
    for line in problems:
        print("PROBLEM", line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
