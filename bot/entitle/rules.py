"""Entitlement rules (knowledge/entitlements.yaml) and the pure evaluator: profile → benefits, cautions."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

UNKNOWN, NONE = "不清楚", "无"
# Every field a rule may test, and its values (the flow produces exactly these).
FIELDS: dict[str, tuple[str, ...]] = {
    "who": ("本人", "家属"),
    "cert": ("有证", "正在办", "没有", UNKNOWN),
    "huji": ("平阳", "外地", UNKNOWN),
    "category": ("视力", "听力", "言语", "肢体", "智力", "精神", "多重", UNKNOWN),
    "grade": ("一级", "二级", "三级", "四级", UNKNOWN, NONE),
    "age": ("0-6", "7-17", "18-59", "60+", UNKNOWN),
    "household": ("低保", "低保边缘", "特困", "都不是", UNKNOWN),
    "situation": ("普通学校", "特校", "不在读", "在读", "在工作", "想找工作", "都不是", UNKNOWN, NONE),
}
MARKS = {"符合": "符合条件", "可能": "可能符合，以审核为准"}
RELIABILITY = re.compile(r"\[(A|B|C|LOCAL|冲突)")


@dataclass(frozen=True)
class Case:
    cond: dict[str, tuple[str, ...]]
    exclude: dict[str, tuple[str, ...]]
    mark: str
    why: str


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    opens: str
    source: str
    cases: tuple[Case, ...]
    local: str = ""


@dataclass(frozen=True)
class Caution:
    id: str
    text: str
    cond: dict[str, tuple[str, ...]] = field(default_factory=dict)
    shown: tuple[str, ...] = ()  # every one of these rules listed
    any_shown: tuple[str, ...] = ()  # at least one of these listed
    downgrade: bool = False
    source: str = ""


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    cautions: tuple[Caution, ...]
    raw: dict


@dataclass(frozen=True)
class Hit:
    """One benefit shown: the rule, which case matched, and the mark after unknowns and cautions."""
    rule: Rule
    case: int
    mark: str  # 符合 | 可能
    loose: bool = False  # listed only because an answer was 不清楚

    @property
    def label(self) -> str:
        return MARKS[self.mark]


def _values(value) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(str(v).strip() for v in items)


def _conds(data) -> dict[str, tuple[str, ...]]:
    return {str(k): _values(v) for k, v in (data or {}).items()}


def parse(data: dict) -> Rules:
    """The YAML mapping as Rules (a ValueError names what is malformed)."""
    if not isinstance(data, dict):
        raise ValueError("entitlements.yaml: not a mapping with rules: and cautions:")
    rules = []
    for item in data.get("rules") or []:
        try:
            cases = tuple(Case(_conds(c.get("if")), _conds(c.get("not")), str(c.get("mark", "可能")),
                               str(c.get("why", "")).strip()) for c in item["when"])
            rules.append(Rule(str(item["id"]), str(item["name"]), str(item["opens"]),
                              str(item.get("source") or ""), cases, str(item.get("local") or "")))
        except (KeyError, TypeError, AttributeError) as exc:
            name = item.get("id") if isinstance(item, dict) else item
            raise ValueError(f"rule {name!r}: missing {exc}") from exc
    cautions = tuple(Caution(str(c["id"]), str(c["text"]).strip(), _conds(c.get("if")),
                             _values(c.get("shown") or []), _values(c.get("any_shown") or []),
                             bool(c.get("downgrade")), str(c.get("source") or ""))
                     for c in data.get("cautions") or [])
    return Rules(tuple(rules), cautions, data)


_cache: dict[str, tuple[float, Rules]] = {}


def load(knowledge_dir: str | Path) -> Rules:
    """The rules, re-read when the file changes (staff edit it like any knowledge file)."""
    path = Path(knowledge_dir) / "entitlements.yaml"
    mtime = os.stat(path).st_mtime if path.exists() else 0.0
    cached = _cache.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    rules = parse(yaml.safe_load(path.read_text("utf-8")) if path.exists() else {"rules": []})
    _cache[str(path)] = (mtime, rules)
    return rules


def _test(cond: dict, profile: dict) -> str | None:
    """'strict' when every condition holds, 'loose' when only because of 不清楚 answers, else None."""
    loose = False
    for name, allowed in cond.items():
        value = profile.get(name, UNKNOWN)
        if value in allowed:
            continue
        if value == UNKNOWN:
            loose = True
            continue
        return None
    return "loose" if loose else "strict"


def _excluded(exclude: dict, profile: dict) -> bool:
    return any(profile.get(name, UNKNOWN) in values for name, values in exclude.items())


def match(rule: Rule, profile: dict) -> Hit | None:
    """The first case that holds outright, else the first that holds only through 不清楚 (then 可能)."""
    loose = None
    for i, case in enumerate(rule.cases):
        if _excluded(case.exclude, profile):
            continue
        how = _test(case.cond, profile)
        if how == "strict":
            return Hit(rule, i, case.mark)
        if how == "loose" and loose is None:
            loose = Hit(rule, i, "可能", loose=True)
    return loose


def evaluate(rules: Rules, profile: dict) -> tuple[list[Hit], list[Caution]]:
    """Benefits in the file's order (most valuable first) and the cautions that apply."""
    hits = [hit for rule in rules.rules if (hit := match(rule, profile)) is not None]
    shown = {h.rule.id for h in hits}
    cautions = [c for c in rules.cautions
                if (not c.cond or _test(c.cond, profile) == "strict") and set(c.shown) <= shown
                and (not c.any_shown or shown & set(c.any_shown)) and (c.cond or c.shown or c.any_shown)]
    if any(c.downgrade for c in cautions):
        hits = [Hit(h.rule, h.case, "可能", h.loose) for h in hits]
    return hits, cautions


def why(hit: Hit) -> str:
    """The plain words; a benefit listed because of a 不清楚 answer says it depends on that."""
    return ("要看情况：" if hit.loose else "") + hit.rule.cases[hit.case].why


def rule_by_id(rules: Rules, rule_id: str) -> Rule | None:
    return next((r for r in rules.rules if r.id == rule_id), None)
