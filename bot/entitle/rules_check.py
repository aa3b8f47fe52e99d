"""`wxbot kb check` for knowledge/entitlements.yaml: unknown entries, fields, values; unreachable rules."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.entitle import questions as q, rules as ent


def reachable_profiles() -> list[dict]:
    """Every profile the questions can produce (skips applied), completed as the evaluator sees it."""
    done: list[dict] = []

    def walk(profile: dict) -> None:
        step = q.next_step(profile)
        if step is None:
            done.append(q.complete(profile))
            return
        values = [v for _l, v, _w in q.QUESTIONS[q.key_of(step, profile)][1]]
        if step != "who":
            values.append(ent.UNKNOWN)
        for value in values:
            if step == "cert" and value.startswith("有证:"):
                walk({**profile, "cert": "有证", "huji": value.split(":", 1)[1]})
            else:
                walk({**profile, step: value})
        if step == "cert":  # "有" alone, then "不清楚" where it was issued
            walk({**profile, "cert": "有证", "huji": ent.UNKNOWN})

    walk({"who": "本人"})
    return done


def _bad_conditions(where: str, cond: dict) -> list[str]:
    problems = []
    for name, values in cond.items():
        if name not in ent.FIELDS:
            problems.append(f"{where}: unknown field {name!r} (fields: {', '.join(ent.FIELDS)})")
            continue
        wrong = [v for v in values if v not in ent.FIELDS[name]]
        if wrong:
            problems.append(f"{where}: unknown value {'/'.join(wrong)} for {name} "
                            f"(values: {'/'.join(ent.FIELDS[name])})")
    return problems


def menu_keys(knowledge_dir: Path) -> set[str]:
    path = knowledge_dir / "menu.yaml"
    data = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}
    keys = {"MAIN", "HUMAN"}
    for button in (data or {}).get("button") or []:
        keys |= {b.get("key") for b in [button, *(button.get("sub_button") or [])] if b.get("key")}
    return keys


def check(knowledge_dir: str | Path, entry_ids, fact_keys) -> list[str]:
    """Problems in entitlements.yaml, each naming the rule (an empty list when it is fine or absent)."""
    folder = Path(knowledge_dir)
    path = folder / "entitlements.yaml"
    if not path.exists():
        return []
    try:
        rules = ent.parse(yaml.safe_load(path.read_text("utf-8")))
    except (yaml.YAMLError, ValueError) as exc:
        return [f"entitlements.yaml: {exc}"]
    errors: list[str] = []
    seen: set[str] = set()
    keys = menu_keys(folder)
    for rule in rules.rules:
        where = f"entitlements.yaml: rule {rule.id}"
        if rule.id in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(rule.id)
        if rule.opens.startswith("menu:"):
            if rule.opens[5:] not in keys:
                errors.append(f"{where}: opens unknown menu key {rule.opens}")
        elif rule.opens not in entry_ids:
            errors.append(f"{where}: opens unknown entry {rule.opens}")
        if rule.local and rule.local not in fact_keys:
            errors.append(f"{where}: unknown local fact {rule.local}")
        if not ent.RELIABILITY.search(rule.source):
            errors.append(f"{where}: source needs a reliability mark [A]/[B]/[C]/[LOCAL]")
        if not rule.cases:
            errors.append(f"{where}: no when: cases")
        for i, case in enumerate(rule.cases, 1):
            errors += _bad_conditions(f"{where} case {i}", {**case.cond, **case.exclude})
            if case.mark not in ent.MARKS:
                errors.append(f"{where} case {i}: mark must be 符合 or 可能, not {case.mark!r}")
            if not case.why:
                errors.append(f"{where} case {i}: no why (the plain words residents read)")
    for caution in rules.cautions:
        where = f"entitlements.yaml: caution {caution.id}"
        errors += _bad_conditions(where, caution.cond)
        unknown = [r for r in (*caution.shown, *caution.any_shown) if r not in seen]
        if unknown:
            errors.append(f"{where}: unknown rules {', '.join(unknown)}")
        if not (caution.cond or caution.shown or caution.any_shown):
            errors.append(f"{where}: needs if: or shown:")
    if not errors:
        errors += unreachable(rules)
    return errors


def unreachable(rules: ent.Rules) -> list[str]:
    """Cases no answers can reach (e.g. 没有证 but 一级): the questions skip what they test."""
    profiles = reachable_profiles()
    problems = []
    for rule in rules.rules:
        for i, case in enumerate(rule.cases, 1):
            if not any(ent._test(case.cond, p) == "strict" and not ent._excluded(case.exclude, p)
                       for p in profiles):
                problems.append(f"entitlements.yaml: rule {rule.id} case {i} can never be reached by the "
                                "questions (no answers meet it outright)")
    return problems
