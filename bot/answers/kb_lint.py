"""`wxbot kb check` rules on the reply as sent: length with facts filled long, lists, repeats, sources."""
from __future__ import annotations

import re
from types import SimpleNamespace

from bot.answers.local_facts import CLOSING, UNKNOWN, UNKNOWN_PHONE, LocalFacts
from bot.wechat.reply import MAX_TEXT_BYTES

MAX_SENT_CHARS = 600
NUMBERED = re.compile(r"^\s*(\d+)[.．、]", re.M)
# policy-facts.md's reliability marks: every answer says how sure its source is.
MARK = re.compile(r"\[(A|B|C|LOCAL|冲突)[^\]]*\]")
ASK_OFFICE = (CLOSING, UNKNOWN, UNKNOWN_PHONE, "以县残联为准", "以县残联答复为准")


def sent_text(entry, local: LocalFacts) -> str:
    """The text a resident receives for this entry, built by the same code the chat uses."""
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
    from bot.answers.knowledge import KnowledgeBase
    local = LocalFacts({k: (v if isinstance(v, dict) else {"value": v}) for k, v in (facts or {}).items()})
    placeholder = "{{" + key + "}}"
    return [entry.title for entry in KnowledgeBase.load(knowledge_dir).entries.values()
            if placeholder in entry.answer.replace(" ", "") and len(sent_text(entry, local)) > MAX_SENT_CHARS]
