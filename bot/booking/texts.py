"""Resident-facing wording shared by the booking chat handlers: dates, lists, summaries, parsing."""
from __future__ import annotations

import re

from bot.booking.models import AssessmentRound, Booking
from bot.booking.rounds import CATEGORIES, cancel_deadline, describe, places_left
from bot.db import LOCAL_TZ
from bot.answers.normalize import compact, nfkc, pick_digits
from bot.privacy.pii import mask_phone
from bot.wechat.reply import Reply
from bot.answers.voice_words import YES_WORDS

REASON_CHOICES = [("bedridden", "卧床，起不来"), ("immobile", "行动不便，下不了楼、出不了门"),
                  ("mental", "精神方面的原因，没法出门"), ("other", "其他原因")]
# Words residents use instead of the number (typed or dictated).
REASON_WORDS = {"bedridden": ("卧床", "躺", "瘫", "起不来", "植物人"),
                "immobile": ("行动不便", "走不了", "下不了楼", "出不了门", "腿", "轮椅"),
                "mental": ("精神", "不肯出门", "不愿出门"), "other": ("其他", "别的")}
CATEGORY_WORDS = {1: ("视力", "眼", "盲", "看不见"), 2: ("听力", "耳", "聋", "听不见"), 3: ("言语", "哑", "说话"),
                  4: ("肢体", "腿", "手", "截肢", "偏瘫", "中风"), 5: ("智力", "智障", "弱智"),
                  6: ("精神", "抑郁", "分裂"), 7: ("多重",)}
CONFIRM_WORDS = YES_WORDS  # 对/对的/没问题/嗯/行…, typed or dictated
NO_WORDS = {"不", "不是", "不用", "不要", "否", "2", "no", "保留", "不取消"}
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


def say(ctx, *lines: str, way_out: bool = False, options=None) -> Reply:
    """One idea a line; dead ends end with the way out (a human and the phone)."""
    text = "\n".join(lines + ((ctx.local.way_out(),) if way_out else ()))
    return Reply(text=text, options=options, meta={"kind": "command"})


def number(text: str, count: int) -> int | None:
    """'2' / '２' / '二' / '第2个' → 2 when 1 ≤ n ≤ count."""
    word = pick_digits(compact(text)).removeprefix("第").removesuffix("个").removesuffix("项")
    return int(word) if word.isdigit() and 1 <= int(word) <= count else None


def is_yes(text: str) -> bool:
    return compact(text) in CONFIRM_WORDS


def is_no(text: str) -> bool:
    return compact(text) in NO_WORDS


def parse_reason(text: str) -> str | None:
    n = number(text, len(REASON_CHOICES))
    if n:
        return REASON_CHOICES[n - 1][0]
    word = compact(text)
    return next((code for code, words in REASON_WORDS.items() if any(w in word for w in words)), None)


def parse_category(text: str) -> int | str | None:
    """1–7, or "unknown" for 8/不清楚; None when not understood."""
    n = number(text, 8)
    if n:
        return n if n <= 7 else "unknown"
    word = compact(text)
    if any(w in word for w in ("不清楚", "不知道", "不懂", "不晓得")):
        return "unknown"
    hits = {code for code, words in CATEGORY_WORDS.items() if any(w in word for w in words)}
    return hits.pop() if len(hits) == 1 else (7 if len(hits) > 1 else None)


def clean_phone(text: str) -> str | None:
    raw = re.sub(r"[\s()（）]", "", nfkc(text)).replace("—", "-")
    return raw if _PHONE.match(raw) else None


def when(rnd: AssessmentRound) -> str:
    return describe(rnd) + (f" {rnd.note}" if rnd.note else "")


def deadline(rnd: AssessmentRound) -> str:
    d = cancel_deadline(rnd).astimezone(LOCAL_TZ)
    return f"{d.month}月{d.day}日 {d:%H:%M}"


def round_line(i: int, rnd: AssessmentRound) -> str:
    left = places_left(rnd)
    places = f"还剩 {left} 个名额" if left else "已满，可以登记候补"
    team = f"（{rnd.team}）" if rnd.team else ""
    return f"{i}. {when(rnd)}{team}，{places}"


def summary(rnd: AssessmentRound, name: str, address: str, phone: str, category, reason: str) -> str:
    cat = CATEGORIES.get(category, "不清楚") if isinstance(category, int) else "不清楚"
    return "\n".join([
        "请核对预约信息：", f"姓名：{name}", f"日期：{when(rnd)}", f"地址：{address}",
        f"电话：{mask_phone(phone)}", f"残疾类别：{cat}", f"上门原因：{reason}",
        "没问题请回复“确认”。", "要修改请回复“取消”，再重新预约。"])


def booked_text(booking: Booking, rnd: AssessmentRound, address: str, first: bool = True) -> str:
    head = ["预约成功！"] if first else ["您已经预约好了，不用再确认。"]
    return "\n".join(head + [
        f"日期：{when(rnd)}", f"预约码：{booking.code}", f"地址：{address}",
        "评定医生当天上门，请家里留人，准备好身份证、户口本和病历。",
        f"{deadline(rnd)} 前可以回复“改约”或“取消预约”。", "回复“我的预约”可以随时查看。"])
