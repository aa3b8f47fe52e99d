"""Two questions in one message: "意外险理赔找谁 还有护理补贴怎么申请".

Matched as a whole, such a message goes to whichever part scores higher (often the second), and the
other question is lost. Residents expect the first asked answered first. A message is cut in two
where a second question begins, each half matched on its own, and when both halves are confident
answers about different topics the first half's answer is the result, the second kept as
`Result.also` (the reply offers it as option 1: "您还问了：…，回复 1 看").

Where a second question begins:
- at a joining word (还有 / 另外 / 顺便问下 / 再问一下 / 以及 …) that starts a clause, when the words
  before it and after it both ask;
- between clauses (cut by spaces or punctuation) when the clauses before and after the cut both ask
  ("…怎么申请 他的残疾证要不要注销"). Dictated text with neither is left whole.
A single question with a comma ("我是二级残疾，护理补贴怎么申请") has only one asking clause: never cut.
Each half must say a keyword of its own topic ("要带什么材料" alone names no topic) unless a joining
word marks the cut.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from bot.answers.matcher.rank import Result
from bot.answers.matcher.story import STORY_CHARS, length

# Joining words that open a second question. "还有" only after a clause end ("还有没有别的补贴" asks one
# thing); the longer ones are never part of a single question.
_JOIN = re.compile(r"(?:^|[^\u4e00-\u9fff0-9A-Za-z]+)(?:还有就是|还有|另外|以及|再有)"
                   r"|(?:顺便|再|还想|另外|我还|还要)问(?:一)?下|还想问|另外问")
_CLAUSE_END = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]+")
# A clause that asks. Stricter than story.py's: "几" asks only as 几张/几级/几号, not in 好几万, 十几年,
# 前几天, 几千 (they tell), and 想问/请问 open a question rather than end one.
_ASKS = re.compile(r"[?？]|吗|伐|么|嘛|呢|咋|怎|如何|啥|什么|哪|谁|多少|多久|是否|能不能|能否|可不可以|"
                   r"可以不|行不行|要不要|有没有|会不会|是不是|(?<![好十一两前这那几])几(?![十百千万])")
# Each half must say this much (characters that say something) to be matched on its own.
MIN_CHARS = 4


def _cuts(question: str) -> list[tuple[str, str, bool]]:
    """(first half, second half, joined by a word) for each place a second question may begin."""
    cuts = []
    for m in _JOIN.finditer(question):  # both sides must ask: "他有护理补贴 还有残疾证 …" tells a story
        first, second = question[:m.start()], question[m.end():]
        if m.start() > 0 and _ASKS.search(first) and _ASKS.search(second):
            cuts.append((first, second, True))
    if cuts:
        return cuts[:1]
    ends = [m for m in _CLAUSE_END.finditer(question) if 0 < m.start() and m.end() < len(question)]
    bounds = [0] + [m.end() for m in ends] + [len(question) + 1]
    clauses = [question[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
    asking = [i for i, c in enumerate(clauses) if _ASKS.search(c)]
    if len(asking) < 2:
        return []
    cut = bounds[asking[0] + 1]  # after the first clause that asks
    if length(question[:cut]) > STORY_CHARS:  # a story that asks twice at its end is one question
        return []
    return [(question[:cut], question[cut:], False)]


def _answer(result: Result, joined: bool) -> bool:
    """A confident policy answer (small talk is aside.py's) that rests on a word of its topic."""
    return (result.decision == "answer" and result.offered[0].kind != "smalltalk"
            and (joined or bool(result.offered[0].keywords)))


def split(question: str, result: Result, match: Callable[[str], Result]) -> Result | None:
    """The first question's answer with the second kept as `also`, or None to keep `result`."""
    if result.aside is not None:  # small talk beside a question: aside.py has read the message
        return None
    for first, second, joined in _cuts(question):
        if length(first) < MIN_CHARS or length(second) < MIN_CHARS:
            continue
        one = match(first)  # the second half only if the first is a confident answer (a match costs)
        if not _answer(one, joined):
            continue
        two = match(second)
        if not _answer(two, joined):
            continue
        if one.offered[0].entry_id == two.offered[0].entry_id:
            continue
        return replace(one, question=question, also=two.offered[0])
    return None
