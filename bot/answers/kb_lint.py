"""`wxbot kb check`: every entry, local fact and rule checked, and the reply as sent (length with facts
filled long, lists, repeats, sources)."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import yaml

from bot.answers.knowledge import KnowledgeBase
from bot.answers.local_facts import CLOSING, PLACEHOLDER, UNKNOWN, UNKNOWN_PHONE, LocalFacts
from bot.answers.matcher import Matcher
from bot.answers.matcher.text import Normalizer
from bot.entitle.rules_check import check as check_entitlements
from bot.wechat.reply import MAX_TEXT_BYTES

MAX_SENT_CHARS = 600
NUMBERED = re.compile(r"^\s*(\d+)[.．、]", re.M)
# policy-facts.md's reliability marks: every answer says how sure its source is.
MARK = re.compile(r"\[(A|B|C|LOCAL|冲突)[^\]]*\]")
ASK_OFFICE = (CLOSING, UNKNOWN, UNKNOWN_PHONE, "以县残联为准", "以县残联答复为准")


def sent_text(entry, local: LocalFacts) -> str:
    """The text a resident receives for this entry, built by the same code the chat uses."""
    # why: handlers/ is the composition root above bot/ (policy declares `wxbot kb`): reached at run time
    from handlers.policy import entry_reply
    return entry_reply(entry, SimpleNamespace(local=local)).text


def restarted_list(answer: str) -> str | None:
    """'1. 2. 1.' inside one answer: a listener loses count; numbers must keep rising by one."""
    numbers = [int(n) for n in NUMBERED.findall(answer)]
    for before, after in zip(numbers, numbers[1:]):
        if after != before + 1:
            return f"numbered list goes {before} → {after}"
    return None


def repeated_lines(text: str, way_out_once: bool = True) -> list[str]:
    """Lines said twice, the 'ask the office' sentence or the way out more than once, in one reply."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    twice = sorted({ln for ln in lines if lines.count(ln) > 1})
    phrases = (*ASK_OFFICE, "转人工") if way_out_once else ASK_OFFICE
    twice += [phrase for phrase in phrases if text.count(phrase) > 1]
    return twice


def lint_entry(entry, local: LocalFacts) -> list[str]:
    """Problems of one loaded entry; messages start with the entry id."""
    problems = []
    if entry.kind in ("answer", "referral") and not entry.source.strip():
        problems.append(f"{entry.id} has no source")
    if entry.kind == "answer" and entry.source.strip() and not MARK.search(entry.source):
        problems.append(f"{entry.id} source has no reliability mark like [A] [B] [C] [LOCAL]")
    restart = restarted_list(entry.answer)
    if restart:
        problems.append(f"{entry.id} {restart}: number one list straight through")
    if entry.kind in ("answer", "referral"):  # screen readers read brackets out, referrals too
        if re.search(r"[（(]", entry.answer):
            problems.append(f"{entry.id} answer has brackets: say it as its own sentence")
        if "——" in entry.answer:
            problems.append(f"{entry.id} answer has a “——” line")
    unfilled = LocalFacts({k: {**v, "value": None} for k, v in local.facts.items()})
    cases = (("with every local fact filled at its longest", local.longest()),
             ("with the local facts as they are", local), ("with no local fact filled", unfilled))
    for label, facts in cases:
        text = sent_text(entry, facts)
        if len(text) > MAX_SENT_CHARS or len(text.encode()) > MAX_TEXT_BYTES - 100:
            problems.append(f"{entry.id} reply is {len(text)} chars after rendering {label} "
                            f"(max {MAX_SENT_CHARS}, or WeChat cuts the way out)")
        if entry.kind == "answer" and "回复 0 转人工" not in text.splitlines()[-1]:
            problems.append(f"{entry.id} reply does not end with the way out {label}")
    # small talk is followed by the main menu, whose "0. 转人工" may repeat the greeting's
    for line in repeated_lines(sent_text(entry, unfilled), way_out_once=entry.kind != "smalltalk"):
        problems.append(f"{entry.id} repeats “{line[:30]}” when facts are unfilled: say it once")
    return problems


def too_long_after_filling(knowledge_dir, facts: dict, key: str) -> list[str]:
    """Titles of the answers that would pass 600 characters as sent with this fact's new value."""
    local = LocalFacts({k: (v if isinstance(v, dict) else {"value": v}) for k, v in (facts or {}).items()})
    placeholder = "{{" + key + "}}"
    return [entry.title for entry in KnowledgeBase.load(knowledge_dir).entries.values()
            if placeholder in entry.answer.replace(" ", "") and len(sent_text(entry, local)) > MAX_SENT_CHARS]


# ---- `wxbot kb check` -------------------------------------------------------------------------

def check(knowledge_dir: str | Path, near: float = 0.9) -> tuple[list[str], list[str]]:
    """Lint the knowledge base: (errors, notes). Unfilled local facts are notes, not errors."""
    kb = KnowledgeBase.load(knowledge_dir)
    errors = list(kb.problems)
    try:
        local = LocalFacts.load(knowledge_dir)
    except (yaml.YAMLError, OSError, AttributeError) as exc:
        errors.append(f"local.yaml: {exc}")
        local = LocalFacts({})
    try:
        normalizer = Normalizer.load(knowledge_dir)
    except (yaml.YAMLError, OSError, AttributeError, TypeError) as exc:
        errors.append(f"synonyms.yaml or towns.yaml: {exc}")
        normalizer = Normalizer()
    for entry_id, entry in sorted(kb.entries.items()):
        data = kb.raw.get(entry_id, {})
        name = Path(entry.path).name
        absent = [k for k in ("keywords", "source", "updated") if not data.get(k)]
        if entry.kind != "smalltalk" and absent:
            errors.append(f"{name}: {entry_id} has no {', '.join(absent)}")
        if Path(entry.path).stem != entry_id:
            errors.append(f"{name}: file name differs from id {entry_id}")
        if len(entry.questions) < 3:
            errors.append(f"{name}: {entry_id} has only {len(entry.questions)} sample questions (want 3+)")
        unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(entry.answer)} - set(local.facts))
        if unknown:
            errors.append(f"{name}: {entry_id} uses unknown placeholders {', '.join(unknown)}")
        # the reply as sent: length with facts filled long, lists, repeated lines, sources
        errors += [f"{name}: {problem}" for problem in lint_entry(entry, local)]
    matcher = Matcher.build(kb.entries.values(), normalizer, embed=False)  # look-alikes: lexical
    for a, qa, b, qb, sim in matcher.close_pairs(near):
        errors.append(f"too close ({sim:.2f}): {a} “{qa}” ~ {b} “{qb}”")
    errors += check_entitlements(knowledge_dir, kb.entries, local.facts)  # knowledge/entitlements.yaml
    notes = [f"local fact not filled yet: {k} ({local.facts[k].get('label', '')})" for k in local.unfilled()]
    return errors, notes
