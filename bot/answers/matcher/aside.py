"""Small talk said beside a question: "孩子的康复补助怎么申请啊 对了你是机器人吗".

Matched as a whole, such a message can go to the small-talk entry (its keyword 机器人 is exact, the
policy words are few), and the resident gets "我是智能助手" instead of the answer. When the whole
message's best topic is small talk, or a small-talk topic hit one of its keywords, the message is cut
into clauses (or, with no punctuation, the small-talk keyword is taken out) and each part matched on
its own: a small-talk part and a confidently answered policy part → the policy answer, with the small
talk kept as `Result.aside` (the reply acknowledges it in one line). Small talk asked alone, or beside
words that answer nothing, keeps the small-talk reply.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from bot.answers.matcher.rank import Result
from bot.answers.matcher.story import length

# Clause ends: anything that is not a Han character, a digit or a Latin letter (commas, spaces,
# emoji, sentence ends). Dictated text without any is handled by taking the keyword out instead.
_CLAUSE = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]+")
# A part left after taking out small talk must say at least this much to be matched on its own.
MIN_CHARS = 4
# The part must be plainly about policy: no small talk among its best few topics. "你是谁 残联的工作
# 人员吗" asks who we are twice; its second clause alone reads as 联系残联, with 我是谁 close behind.
PLAIN = 3
# Words beside small talk that match nothing, at most this long, do not stop the small-talk answer.
SHORT_REST = 8


def _is_small_talk(result: Result) -> bool:
    return result.decision == "answer" and result.offered[0].kind == "smalltalk"


def _is_policy_answer(result: Result) -> bool:
    return result.decision == "answer" and result.offered[0].kind != "smalltalk"


def _said_only_small_talk(result: Result, rest: Result, remainder: str) -> bool:
    """"明白了 太感谢了 省得我跑一趟": the small talk is the best topic, by its own keyword, and the few
    words beside it match nothing: a thank-you that the extra words only diluted below answering."""
    top = result.top
    return (result.decision != "answer" and top.kind == "smalltalk" and bool(top.keywords)
            and (rest.decision == "fallback" or _is_small_talk(rest))
            and length(_without(remainder, top)) <= SHORT_REST)


def _without(text: str, small) -> str:
    """The text with the small talk's own keywords taken out ("太感谢了 省得…" → "了 省得…")."""
    for word in sorted(small.keywords, key=len, reverse=True):
        text = text.replace(word, " ")
    return text


def involved(result: Result) -> bool:
    """Small talk is on the table: the best topic, or a small-talk topic whose keyword was said."""
    return bool(result.candidates) and (result.top.kind == "smalltalk" or any(
        c.kind == "smalltalk" and c.keywords for c in result.candidates[:3]))


def split(question: str, result: Result, match: Callable[[str], Result]) -> Result | None:
    """The policy answer beside the small talk (with `aside` set), or None to keep `result`."""
    clauses = [c for c in _CLAUSE.split(question) if c]
    small, rest = None, []
    if len(clauses) > 1:
        for clause in clauses:
            part = match(clause)
            if _is_small_talk(part) and small is None:
                small = part.offered[0]
            else:
                rest.append(clause)
    else:  # no punctuation: take the small-talk keyword out of the text ("…怎么换你是机器人吗")
        chat = result.top if result.top.kind == "smalltalk" else None  # only to rescue, never to decorate
        said = [k for k in (chat.keywords if chat else []) if k in question]
        if said:
            small, rest = chat, [question.replace(said[0], " ", 1)]
    if small is None:
        return None
    if _is_policy_answer(result):  # already answered: the small talk is only acknowledged
        return replace(result, aside=small)
    remainder = " ".join(rest)
    if length(remainder) < MIN_CHARS:
        return None
    policy = match(remainder)
    if _said_only_small_talk(result, policy, remainder):
        return replace(result, decision="answer", offered=[result.top])
    if not _is_policy_answer(policy) or any(c.kind == "smalltalk" for c in policy.candidates[:PLAIN]):
        return None
    return replace(policy, question=question, aside=small)
