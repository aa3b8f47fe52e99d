"""Validate fresh.tsv, the held-out set, without running the matcher and without printing other sets.

    python3 knowledge/eval/check_fresh.py            # exit 1 on any problem

Checks: two columns; every id names an entry in knowledge/entries (or is `none`, alone); no question
twice; no question that is also in another eval set (compared exactly and with spaces and punctuation
removed; near copies, similarity >= NEAR, are listed as notes; only fresh.tsv's own lines are shown); every entry asked at least twice, the big topics at
least six times; at least 55 out of scope. Prints the counts that README.md quotes.
Plain python3: entry ids and kinds are read from the `id:` / `kind:` lines, so PyYAML is not needed.
"""
import re
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

NEAR = 0.85  # a fresh question this close to another set's question (compacted) is reported as a note
HERE = Path(__file__).parent
ENTRIES = HERE.parent / "entries"
FRESH = HERE / "fresh.tsv"
# Other question sets a fresh question must not copy: this folder's and the shared development set.
OTHER_SETS = [p for p in sorted(HERE.glob("*.tsv")) if p.name != FRESH.name]
OTHER_SETS += sorted(Path("/work/shared/eval").glob("*.tsv"))
BIG_TOPICS = ["subsidy.living", "subsidy.care", "cert.apply", "cert.renew", "cert.transfer",
              "assess.level", "assess.home", "rehab.children", "aids.fitting", "insurance.medical",
              "insurance.pension", "insurance.accident", "edu.special_school", "edu.home_teaching",
              "edu.college", "employ.support", "access.home"]


# Entries written after fresh.tsv was (rounds 2 and 3 of the tuning): the set cannot have asked for them.
ADDED_AFTER = {"ref.other_papers", "ref.school",  # round 2
               "ref.funeral", "ref.family_planning", "ref.public_housing", "ref.unemployment"}  # round 3


def entry_kinds() -> dict[str, str]:
    """id → kind (answer, smalltalk, referral) from each entry file's top-level lines."""
    kinds = {}
    for path in sorted(ENTRIES.glob("*.yaml")):
        text = path.read_text("utf-8")
        ident = re.search(r"^id:\s*(\S+)", text, re.M)
        kind = re.search(r"^kind:\s*(\S+)", text, re.M)
        if ident:
            kinds[ident.group(1)] = kind.group(1) if kind else "answer"
    return kinds


def rows(path: Path) -> list[tuple[int, list[str], str]]:
    """(line number, ids, question) for each non-comment line with a tab."""
    out = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            ids, _, question = line.partition("\t")
            out.append((n, [i.strip() for i in ids.split("|")], question))
    return out


def compact(question: str) -> str:
    return re.sub(r"[\s\W_]+", "", question).lower()


def line_problems(fresh, kinds: dict[str, str], name: str) -> list[str]:
    """Two columns, known ids, `none` alone, no question asked twice within the set."""
    problems = []
    for n, ids, question in fresh:
        if not question.strip() or "\t" in question:
            problems.append(f"line {n}: needs exactly two tab-separated columns")
        if "none" in ids and len(ids) > 1:
            problems.append(f"line {n}: 'none' must stand alone")
        problems += [f"line {n}: unknown id {i!r}" for i in ids if i != "none" and i not in kinds]
    seen = Counter(compact(q) for _, _, q in fresh)
    problems += [f"line {n}: asked twice in {name}: {q}" for n, _, q in fresh if seen[compact(q)] > 1]
    return problems


def copies(fresh, others: list[Path], near_at: float) -> tuple[list[str], list[str], int]:
    """(exact copies of another set's questions, near copies, how many questions were compared);
    only the fresh set's own lines are named."""
    other_exact, other_compact = set(), set()
    for path in others:
        for _, _, q in rows(path):
            other_exact.add(q.strip())
            other_compact.add(compact(q))
    exact, near_copies = [], []
    for n, _, q in fresh:
        if q.strip() in other_exact or compact(q) in other_compact:
            exact.append(f"line {n}: also in another eval set: {q}")
            continue
        near = max((SequenceMatcher(None, compact(q), o).ratio() for o in other_compact), default=0)
        if near >= near_at:
            near_copies.append(f"line {n}: {near:.2f} like a question of another set: {q}")
    return exact, near_copies, len(other_exact)


def coverage(fresh, kinds, written_after: set[str], big_topics: list[str], big_min: int):
    """(questions per id, problems): every entry at least twice (those written after the set
    excepted), the big topics at least big_min times."""
    per_id = Counter(i for _, ids, _ in fresh for i in ids)
    problems = [f"{i}: asked {per_id[i]} time(s), want at least 2" for i in kinds
                if per_id[i] < 2 and i not in written_after]
    problems += [f"{i}: asked {per_id[i]} time(s), want at least {big_min}" for i in big_topics
                 if per_id[i] < big_min]
    return per_id, problems


def scope_groups(fresh, kinds) -> Counter:
    """How many questions are in scope, referral traps (`ref.*` ids) and `none`."""
    def group(ids: list[str]) -> str:
        if ids == ["none"]:
            return "none"
        return "referral" if all(kinds.get(i) == "referral" for i in ids) else "in scope"
    return Counter(group(ids) for _, ids, _ in fresh)


def main() -> int:
    kinds = entry_kinds()
    fresh = rows(FRESH)
    problems = line_problems(fresh, kinds, FRESH.name)
    exact, notes, compared = copies(fresh, OTHER_SETS, NEAR)
    problems += exact
    per_id, missing = coverage(fresh, kinds, ADDED_AFTER, BIG_TOPICS, 6)
    problems += missing
    groups = scope_groups(fresh, kinds)
    out_of_scope = groups["none"] + groups["referral"]
    if out_of_scope < 55:
        problems.append(f"only {out_of_scope} out-of-scope questions, want at least 55")
    if groups["in scope"] < 185:
        problems.append(f"only {groups['in scope']} in-scope questions, want at least 185")

    print(f"{FRESH.name}: {len(fresh)} questions: {groups['in scope']} in scope (answer or small talk), "
          f"{groups['referral']} referral traps, {groups['none']} none; "
          f"{sum(len(ids) > 1 for _, ids, _ in fresh)} with two acceptable ids")
    print(f"compared against {len(OTHER_SETS)} other set(s), {compared} questions")
    print("per id: " + ", ".join(f"{i} {c}" for i, c in sorted(per_id.items())))
    for line in notes:
        print("note", line)
    for line in problems:
        print("PROBLEM", line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
