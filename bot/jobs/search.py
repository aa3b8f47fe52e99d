"""Free-text job search for residents: town, disability category and kind are filters, the rest are
words matched with typo and homophone tolerance (电商克服 → 电商客服) across the posting's text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from sqlalchemy import Date, bindparam
from sqlalchemy.orm import Session

from bot.jobs.models import JobPosting
from bot.jobs.postings import open_postings
from bot.answers.normalize import nfkc, strip_emoji
from bot.answers.pinyin import syllables
from bot.privacy.pii import scrub
from bot.answers.towns import match_town

# Said before the search words; removed so only what the resident is looking for remains.
COMMANDS = ("订阅岗位", "订阅工作", "订阅招聘", "岗位订阅", "找工作", "搜工作", "查工作", "找岗位", "搜岗位",
            "查岗位", "找活干", "招聘信息", "招聘", "岗位", "工作")
_CATEGORY = {"视力": r"视力|视障|盲人?|看不见|眼睛不好", "听力": r"听力|听障|聋人?|耳聋|听不见",
             "言语": r"言语|语言障碍|哑巴?|说不了话", "肢体": r"肢体|肢残|轮椅|腿脚不便|腿脚不好",
             "智力": r"智力|智障", "精神": r"精神", "多重": r"多重"}
_KIND = {"居家就业": r"居家就业|居家|在家里?", "辅助性就业": r"辅助性就业|辅助性|辅助就业|庇护",
         "兼职": r"兼职|临时工?|零工|小时工", "全职": r"全职"}
_FILLER = re.compile(r"适合|残疾人?|残障|有没有|有什么|我想要?|我要|想找|帮我|一份|一个|[找做干]点儿?|[找做]个|找份|附近|哪里有|"
                     r"相关的?|方面的?|之类的?|能做的?|可以做的?|工作|岗位|职位|信息|的|吗|呢|吧|啊|呀|人的|镇|乡")
_SPLIT = re.compile(r"[\s,，、。.!！?？;；:：/]+")
HIT = 0.8  # a word counts as found at this similarity (one slip in ~5 characters, or the same sound)


@dataclass
class Query:
    town: str | None = None
    categories: list[str] = field(default_factory=list)
    kind: str | None = None
    terms: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.town or self.categories or self.kind or self.terms)

    def words(self, with_town: bool = True) -> str:
        """The query as words parse_query reads the same way: for list actions and subscriptions."""
        parts = [self.town] if self.town and with_town else []
        parts += [f"适合{c}残疾" for c in self.categories] + ([self.kind] if self.kind else []) + self.terms
        return " ".join(parts)

    def describe(self) -> str:
        """'鳌江镇、包装' — echoed back so the resident sees what was understood."""
        parts = [self.town] if self.town else []
        parts += [f"适合{c}残疾" for c in self.categories] + ([self.kind] if self.kind else []) + self.terms
        return "、".join(parts) or "全部"


@lru_cache(maxsize=2048)
def _command_sound(text: str) -> tuple[str, ...]:
    """Toneless pinyin of a short prefix (pypinyin costs ~0.1 ms a call; commands are few)."""
    return tuple(syllables(text))


def strip_command(text: str) -> str:
    """'找工作 鳌江' → '鳌江'; also a command typed as a homophone ('找工做 鳌江')."""
    text = strip_emoji(nfkc(text)).strip()
    for word in COMMANDS:
        if text.startswith(word) or _command_sound(text[:len(word)]) == _command_sound(word):
            return text[len(word):].strip()
    return text


def _remove_town(text: str, town: str, knowledge_dir: str) -> str:
    stem = re.sub(r"(畲族乡|镇|乡)$", "", town)
    for word in (town, stem):
        if word in text:
            return text.replace(word, " ")
    for size in range(2, min(len(text), 6) + 1):  # said another way (alias, homophone): smallest window
        for start in range(len(text) - size + 1):
            window = text[start:start + size]
            if not window.isspace() and match_town(knowledge_dir, window) == town:
                return text[:start] + " " + text[start + size:]
    return text


def parse_query(text: str, knowledge_dir: str) -> Query:
    """'找工作 鳌江 包装' → town 鳌江镇, terms [包装]; '适合听力残疾的' → categories [听力]."""
    rest = strip_command(text)
    query = Query()
    query.town = match_town(knowledge_dir, rest) if rest else None
    if query.town:
        rest = _remove_town(rest, query.town, knowledge_dir)
    for name, pattern in _CATEGORY.items():
        if re.search(pattern, rest):
            query.categories.append(name)
            rest = re.sub(pattern, " ", rest)
    for name, pattern in _KIND.items():
        if re.search(pattern, rest):
            query.kind = query.kind or name
            rest = re.sub(pattern, " ", rest)
    # Terms travel in options, subscriptions and replies: a phone or ID number typed along is no term.
    rest = _FILLER.sub(" ", scrub(rest))
    query.terms = [t for t in _SPLIT.split(rest) if len(t) >= 2 and "*" not in t][:5]
    return query


_docs: dict[tuple[int, str], tuple[str, str, str]] = {}


def _doc(posting: JobPosting) -> tuple[str, str, str]:
    """(title, all text, all text as pinyin), cached per version: pinyin of a long description is slow."""
    key = (posting.id, posting.updated_at.isoformat() if posting.updated_at else "")
    if key not in _docs:
        if len(_docs) > 5000:
            _docs.clear()
        cats = "、".join(posting.categories or [])
        text = nfkc(" ".join(filter(None, (posting.title, posting.employer, posting.town, posting.address,
                                            posting.kind, cats and cats + "残疾", posting.description,
                                            posting.requirements, posting.accessibility,
                                            posting.working_hours))))
        _docs[key] = (nfkc(posting.title), text, _sound(text))
    return _docs[key]


def _sound(text: str) -> str:
    """'|xian|mou|' — syllables fenced, so 'an mo' (按摩) is not found inside 'xian mou' (县某)."""
    return "|" + "|".join(syllables(text)) + "|"


def term_score(term: str, posting: JobPosting) -> float:
    title, text, spoken = _doc(posting)
    if term in text:
        return 1.1 if term in title else 1.0
    score = fuzz.partial_ratio(term, text) / 100 if len(term) >= 4 else 0.0
    said = _sound(term)
    if said.isascii():  # short sounds must match exactly: one slip in "bao" is another word
        sound = fuzz.partial_ratio(said, spoken) / 100
        score = max(score, sound if len(said) >= 9 else float(sound == 1.0))
    return score


def score(posting: JobPosting, query: Query) -> float | None:
    """None when the posting does not fit the query; otherwise higher is a better fit."""
    if query.town and posting.town != query.town and query.town not in (posting.address or ""):
        return None
    if query.kind and posting.kind != query.kind:
        return None
    if any(c not in (posting.categories or ()) for c in query.categories):
        return None
    total = 0.0
    for term in query.terms:
        value = term_score(term, posting)
        if value < HIT:
            return None
        total += value
    return total


# Built once: building and cache-keying the statement cost more than running it (issue 16).
_OPEN = open_postings(bindparam("today", type_=Date))


def search(session: Session, query: Query, today: dt.date) -> list[JobPosting]:
    """Open postings that fit, best fit first, newest first among equals."""
    postings = list(session.scalars(_OPEN, {"today": today}))
    if query.empty:
        return postings
    ranked = [(s, i, p) for i, p in enumerate(postings) if (s := score(p, query)) is not None]
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [p for _s, _i, p in ranked]


__all__ = ["Query", "parse_query", "score", "search", "strip_command"]
