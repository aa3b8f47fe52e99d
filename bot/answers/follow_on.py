"""A follow-on question read with the topic just answered: after 残疾儿童康复救助, "要带什么材料" asks
about that, not about materials in general.

Residents ask one thing, then go on in a few words ("在哪里办", "要多久", "我家是二级能领吗"). Alone,
those words name no topic and got a list of guesses. When the question is short, names no topic well
enough to be answered (or names none at all, "在哪里申请"), asks the way a follow-on does, and this
resident was answered a topic a few minutes ago, it is matched again with that topic's title in front;
only an answer (never another list) replaces the first reply.

The topic comes from the message log (the previous message's row), read only on this path: the hot
path writes nothing more for it.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from typing import Callable

from bot.answers.local_facts import PENDING
from bot.answers.normalize import compact
from bot.db import utcnow
from bot.models import MessageLog

WITHIN = dt.timedelta(minutes=30)
MAX_CHARS = 20  # a follow-on is short; a longer message says what it is about
# How a follow-on asks: what to bring, where, whom, how long, how much, whether it applies to me.
CUES = re.compile(r"材料|带什么|要带|带啥|证件|手续|流程|步骤|怎么(办|弄|申请|领|交|报|去)|咋(办|弄|申请|领)|在哪|哪里|"
                  r"去哪|找谁|电话|地址|多久|多长|几天|什么时候|啥时候|多少|几档|要钱|出钱|花钱|自费|收费|费用|"
                  r"免费|条件|标准|几岁|年龄|能不能|能领|可以吗|行吗|能办|符合|网上|手机上|代办|本人|家属")
# A question's shape ("那丢了呢", "能拿不", "要登报伐", "咋预约", "有没有份"): its words may be a topic's.
ASKING_FORM = re.compile(r"^那.{0,6}呢$|呢$|(吗|伐|么|不|没|没有)$|^咋|有没有|要不要|是不是|能不能|可不可以")
# What else a follow-on is made of: the characters left when cues and these are taken out are its
# own words. A first reply that only guessed (a list) gives way with a few left ("我家是二级能领吗");
# an answer only when none are ("在哪里申请", "多少钱一个月"): "那护理补贴呢" names its own topic, and
# "电动车被偷了在哪报警" is about something else altogether.
FILLERS = re.compile(r"[我你他她它咱俺那这个的了吗呢啊呀吧哦嘛么伐不没还就都也一下请问要是有能可以会得咋啥些]")
OWN_WORDS_MAX = {"suggest": 4, "fallback": 4, "answer": 2, "referral": 2}


def applies(question: str, first_kind: str, keyword_said: bool = False) -> bool:
    """Is this message a follow-on to read with the last topic, given how it was answered alone?
    keyword_said: the first answer rests on a keyword of its entry ("那换证呢" → 换证): it names its topic."""
    if keyword_said and first_kind in ("answer", "referral"):
        return False
    said = compact(question)
    if not 0 < len(said) <= MAX_CHARS or not (CUES.search(said) or ASKING_FORM.search(said)):
        return False
    own_words = FILLERS.sub("", CUES.sub("", said))
    return len(own_words) <= OWN_WORDS_MAX.get(first_kind, -1)


def last_topic(session, openid: str, now: dt.datetime | None = None) -> str | None:
    """The topic this resident's previous message was answered with, if that was a few minutes ago.
    No session (`wxbot ask`, `wxbot eval`: a question on its own) has no conversation before it."""
    if session is None:
        return None
    row = session.execute(select(MessageLog.topic, MessageLog.kind, MessageLog.created_at)
                          .where(MessageLog.openid == openid)
                          .order_by(MessageLog.id.desc()).limit(1)).first()
    if row is None or row.kind != "answer" or not row.topic:
        return None
    return row.topic if row.created_at >= (now or utcnow()) - WITHIN else None


def prefetch(sessions, bundle, openid: str, question: str, first) -> None:
    """Before the message's transaction (bot.engine.dispatch.prefetch): read the last topic and run the
    second match now, so that the handler finds it cached and SQLite's write lock never waits on it.
    first: the matcher's Result for the question alone."""
    top = bundle.kb.get(first.offered[0].entry_id) if first.decision == "answer" and first.offered else None
    keyword_said = bool(first.top.keywords) if first.top is not None else False
    if not applies(question, top.kind if top is not None else first.decision, keyword_said):
        return
    with sessions() as session:
        topic = last_topic(session, openid)
    entry = bundle.kb.get(topic) if topic else None
    if entry is not None:
        bundle.matcher.match(with_topic(question, entry.title))


# The same topic asked about again: the lines of its answer that say what was asked, not the whole
# answer a second time (a screen reader reads every line). Cue → words such lines use.
LINES_FOR = (
    (re.compile(r"材料|带什么|要带|带啥|证件|手续"), ("带", "材料", "准备", "证明", "照片", "申请表")),
    (re.compile(r"在哪|哪里|去哪|找谁|地址"), ("在哪", "地点", "地址", "窗口", "机构", "县残联", "乡镇", "浙里办")),
    (re.compile(r"电话"), ("电话", "拨打")),
    (re.compile(r"多久|多长|几天|什么时候|啥时候"), ("工作日", "多久", "时间", "当月", "期")),
    (re.compile(r"多少|几档|标准"), ("多少", "标准", "元", "档")),
    (re.compile(r"要钱|出钱|花钱|自费|收费|费用|免费"), ("费", "钱", "免")),
    (re.compile(r"条件|符合|能领|能不能|几岁|年龄|能办"), ("谁能", "对象", "条件", "年龄", "岁", "等级")),
    (re.compile(r"网上|手机上"), ("网上", "浙里办", "手机")),
    (re.compile(r"代办|本人|家属"), ("代办", "委托", "监护人", "家属", "本人")),
)
NUMBERED = re.compile(r"^\s*\d{1,2}[.、．]\s*")
MAX_LINES = 4  # more lines than this say the question was not specific: the whole answer then


def lines_asked(question: str, answer: str) -> list[str]:
    """The answer's lines that say what the follow-on asks ("要带什么材料" → the materials); [] when
    none do or too many (then the whole answer is the reply)."""
    said = compact(question)
    words = [w for cue, line_words in LINES_FOR if cue.search(said) for w in line_words]
    lines = [line for line in answer.splitlines() if words and any(w in line for w in words)]
    # Without the answer's own numbers: under "回复 1 看完整说明" a "2." reads as a choice.
    return [NUMBERED.sub("", line) for line in lines] if len(lines) <= MAX_LINES else []


def focused_text(question: str, entry, local) -> str | None:
    """The reply to a follow-on on the same topic: the lines asked for, the way to the whole answer
    (option 1, set by the caller) and the closing line; None when no few lines say it."""
    lines = lines_asked(question, local.render(entry.answer))
    if not lines:
        return None
    picked = "\n".join(lines)
    closing = local.closing(entry.answer) if PENDING in picked else local.way_out()
    return f"关于“{entry.title}”：\n{picked}\n回复 1 看完整说明。\n{closing}"


def reread(question: str, first, bundle, respond: Callable, last_topic_id: Callable[[], str | None]):
    """The reply for a follow-on read with the last topic, or None to keep `first` (the reply to the
    question alone). One decision for the webhook (handlers.policy.ask) and the evaluation
    (knowledge/eval/followon.py). respond(text, bundle) answers a text; last_topic_id() is called,
    and the database read, only when the message is shaped like a follow-on."""
    if not applies(question, first.meta["kind"], keyword_said(first.meta.get("explain"))):
        return None
    entry = bundle.kb.get(last_topic_id() or "")
    if entry is None:
        return None
    again = respond(with_topic(question, entry.title), bundle)
    if again.meta["kind"] != "answer":
        return None
    again.meta["explain"] = {**again.meta["explain"], "follow_on": entry.id}  # staff see why
    text = focused_text(question, entry, bundle.local) if again.meta["entry"] == entry.id else None
    if text is not None:  # the same topic again: what was asked, and the whole answer one number away
        again.text, again.options = text, [["看完整说明", f"topic:{entry.id}"]]
    return again


def keyword_said(explain: dict | None) -> bool:
    """From a reply's explanation (Result.explain): did its answer rest on a keyword of its entry?"""
    return bool(((explain or {}).get("components") or {}).get("keywords"))


def with_topic(question: str, title: str) -> str:
    """The question as the matcher reads it on the second try: the topic's title, then the words."""
    return f"{title} {question.strip()}"
