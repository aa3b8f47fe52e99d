"""Long messages: the sentences that ask, matched beside the whole story.

"俺娘今年八十二，去年摔了一跤…上个月刚办下来一级肢体残疾证。听说有个护理补贴，咋申请嘛？" is about
护理补贴; matched as a whole, the situation words (摔了, 残疾证) weigh as much as the question. For
such a message the matcher also matches the part that asks (`question_part`) and gives each topic
`combine(whole score, part score)`. Only these messages pay for a second embedding (~25 ms).
"""
from __future__ import annotations

import re

# A message at least this long (characters, no spaces or punctuation) is read as a story.
# (20, 30 and 40 gave the same results on the spent sets: the stories there are 45+ characters.)
STORY_CHARS = 30
# The asking part alone must say this much ("要找谁？" says nothing): else the sentence before joins it.
PART_CHARS = 8
# Sentence ends only. Commas and spaces are not: dictated text has no punctuation at all, and
# "老爸中风后走路不稳 医生说要配个助行器 …能不能给配一个" would lose its 助行器.
_SENTENCE = re.compile(r"[^。？！?!；;\n]+[。？！?!；;\n]*")
_ASKS = re.compile(r"[?？]|吗|伐|么|嘛|呢|咋|怎|如何|啥|什么|哪|谁|几|多少|多久|是否|能不能|能否|可不可以|"
                   r"可以不|行不行|要不要|有没有|会不会|是不是|想问|问问|问下|请问")
_CHARS = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")

# Each topic's score: PART_WEIGHT·(score of the asking part) + (1 − PART_WEIGHT)·(score of the whole).
# The whole still counts most: the part is often short ("残联能帮他交吗？") and the story names the
# thing asked about (医保, 结婚证). Chosen on all eight spent sets (round 5, fused): 0.2 and 0.3
# alike (+7 right answers, no more wrong), 0.5 +3, 0.7 and the part alone added wrong answers.
PART_WEIGHT = 0.3


def length(text: str) -> int:
    """Characters that say something: Han characters, digits, Latin letters."""
    return len(_CHARS.findall(text))


def question_part(raw: str) -> str | None:
    """For a long message of several sentences, the trailing run of sentences that ask (ending at
    the last one that asks; the last sentence if none does). None for a short message, one
    sentence, or when the part would be the whole message."""
    if length(raw) < STORY_CHARS:
        return None
    sentences = [s for s in _SENTENCE.findall(raw) if length(s)]
    if len(sentences) < 2:
        return None
    asking = [i for i, s in enumerate(sentences) if _ASKS.search(s)]
    end = asking[-1] if asking else len(sentences) - 1
    start = end
    while start > 0 and start - 1 in asking:
        start -= 1
    while start > 0 and length("".join(sentences[start:end + 1])) < PART_CHARS:
        start -= 1
    if start == 0 and end == len(sentences) - 1:
        return None
    return "".join(sentences[start:end + 1])


def combine(whole: float, part: float) -> float:
    return PART_WEIGHT * part + (1 - PART_WEIGHT) * whole
