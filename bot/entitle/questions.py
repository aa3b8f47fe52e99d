"""The check's questions: which to ask next (skipping what cannot matter); answers in words or numbers."""
from __future__ import annotations

import re

from bot.entitle.rules import NONE, UNKNOWN
from bot.answers.normalize import compact

ORDER = ("who", "cert", "category", "grade", "age", "household", "situation", "huji")
UNSURE = ("不清楚", "不知道", "不晓得", "不确定", "说不清", "搞不清", "不懂", "忘了", "不记得", "不太清楚")

# step → (question, [(option label, value, words that mean it)]); the last option is always 不清楚.
QUESTIONS: dict[str, tuple[str, list[tuple[str, str, tuple[str, ...]]]]] = {
    "who": ("给谁查？", [
        ("我自己", "本人", ("自己", "我自己", "本人", "我", "给自己", "给我自己")),
        ("家里人，比如孩子、父母、老伴", "家属", ("家人", "家里人", "家属", "孩子", "小孩", "儿子", "女儿", "爸爸",
                                             "妈妈", "父亲", "母亲", "老伴", "老公", "老婆", "爷爷", "奶奶", "亲戚"))]),
    "cert": ("{who}有残疾人证吗？", [
        ("有，平阳发的", "有证:平阳", ("平阳", "平阳的", "平阳发的", "有平阳的", "本地")),
        ("有，外地发的", "有证:外地", ("外地", "外地的", "外地发的", "有外地的", "外省")),
        ("正在办", "正在办", ("在办", "正在办", "办着", "正在申请", "申请了", "在评", "评残了")),
        ("没有", "没有", ("没", "没有", "没办", "没有证", "还没有", "还没办", "无"))]),
    "category": ("是哪一类残疾？", [
        ("视力", "视力", ("视力", "眼睛", "盲", "盲人", "看不见", "低视力", "视障")),
        ("听力", "听力", ("听力", "耳朵", "聋", "耳聋", "听不见", "耳蜗", "人工耳蜗", "听障")),
        ("言语", "言语", ("言语", "说话", "哑", "不会说话", "语言")),
        ("肢体，包括脑瘫", "肢体", ("肢体", "腿", "手", "瘫", "瘫痪", "脑瘫", "截肢", "轮椅", "偏瘫", "中风")),
        ("智力，包括发育迟缓", "智力", ("智力", "智障", "发育迟缓", "脑子", "弱智", "唐氏")),
        ("精神，包括孤独症", "精神", ("精神", "孤独症", "自闭", "自闭症", "精神病", "精神分裂", "抑郁")),
        ("多重，两类以上", "多重", ("多重", "好几种", "两种", "几种", "多种"))]),
    "grade": ("证上是几级？", [
        ("一级", "一级", ("一级", "1级", "一")), ("二级", "二级", ("二级", "2级", "二", "两级")),
        ("三级", "三级", ("三级", "3级", "三")), ("四级", "四级", ("四级", "4级", "四"))]),
    "age": ("{who}多大年纪？也可以直接说几岁。", [
        ("0-6 岁", "0-6", ()), ("7-17 岁", "7-17", ()), ("18-59 岁", "18-59", ()), ("60 岁及以上", "60+", ())]),
    "household": ("家里是低保户吗？", [
        ("低保", "低保", ("低保", "低保户", "吃低保", "有低保", "是低保")),
        ("低保边缘", "低保边缘", ("低保边缘", "低边", "边缘户", "低保边缘户", "低边户")),
        ("特困，也叫五保", "特困", ("特困", "特困户", "五保", "五保户", "特困供养")),
        ("都不是", "都不是", ("都不是", "不是", "没有", "普通", "没", "没吃低保", "一般"))]),
    "situation_young": ("孩子现在上学吗？", [
        ("在普通学校上学", "普通学校", ("上学", "在上学", "读书", "普通学校", "小学", "初中", "高中", "在读")),
        ("在特殊教育学校", "特校", ("特校", "特殊学校", "特殊教育学校", "培智", "聋校", "盲校")),
        ("没上学，在家", "不在读", ("没上学", "不上学", "没读书", "在家", "上不了学", "休学"))]),
    "situation": ("{who}现在是什么情况？", [
        ("在上大学或职校", "在读", ("上学", "在上学", "读书", "上大学", "大学生", "在读", "读大学", "职校")),
        ("在工作", "在工作", ("工作", "在工作", "上班", "在上班", "打工", "有工作")),
        ("想找工作", "想找工作", ("找工作", "想找工作", "想工作", "想上班", "没工作", "待业", "失业", "找个工作", "找份工作", "找活")),
        ("都不是", "都不是", ("都不是", "不是", "在家", "退休", "没有"))]),
    "huji": ("{who}户口在平阳吗？", [
        ("在平阳", "平阳", ("在平阳", "平阳", "是", "是的", "在", "本地", "平阳的")),
        ("在外地", "外地", ("外地", "不在", "不是", "外省", "不在平阳"))]),
}
_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def next_step(profile: dict) -> str | None:
    """The next question to ask, or None when the profile is complete."""
    for step in ORDER:
        if step in profile:
            continue
        if step == "grade" and profile.get("cert") != "有证":
            continue
        if step == "situation" and profile.get("age") not in ("7-17", "18-59"):
            continue
        if step == "huji" and profile.get("cert") == "有证":
            continue
        return step
    return None


def complete(profile: dict) -> dict:
    """Fill what was skipped: no certificate means no grade; no situation asked means 无."""
    full = dict(profile)
    if "grade" not in full:
        full["grade"] = NONE if full.get("cert") == "没有" else UNKNOWN
    if "situation" not in full:
        full["situation"] = NONE if full.get("age") in ("0-6", "60+") else UNKNOWN
    full.setdefault("huji", UNKNOWN)
    return full


def key_of(step: str, profile: dict) -> str:
    return "situation_young" if step == "situation" and profile.get("age") == "7-17" else step


def prompt(step: str, profile: dict, number: int) -> str:
    question, options = QUESTIONS[key_of(step, profile)]
    who = "您" if profile.get("who") == "本人" else "家人"
    lines = [f"第 {number} 题：" + question.format(who=who)]
    lines += [f"{i}. {label}" for i, (label, _v, _w) in enumerate(options, 1)]
    if step != "who":
        lines.append(f"{len(options) + 1}. 不清楚")
    return "\n".join(lines)


def spoken_number(word: str) -> int | None:
    """'45' '四十五' '三' '十' '八十多' → the number; None when there is none."""
    digits = re.search(r"\d+", word)
    if digits:
        return int(digits.group())
    found = re.search(r"[零〇一二两三四五六七八九十百]+", word)
    if not found:
        return None
    total, current = 0, 0
    for ch in found.group():
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN[ch]
    return total + current


def age_band(years: int) -> str:
    return "0-6" if years <= 6 else "7-17" if years <= 17 else "18-59" if years <= 59 else "60+"


def read(step: str, profile: dict, text: str) -> str | None:
    """The value this answer means, or None when not understood. Numbers pick options; words match them."""
    _question, options = QUESTIONS[key_of(step, profile)]
    word = re.sub(r"(的|啊|呀|吧|呢|了|哦|嗯|残疾|残疾人)+$", "", compact(text)) or compact(text)
    word = word.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if any(u in word for u in UNSURE) and step != "who":
        return UNKNOWN
    if step == "age" and ("岁" in word or (word.isdigit() and int(word) > len(options) + 1)):
        years = spoken_number(word)
        return age_band(years) if years is not None and years <= 120 else None
    pick = word.rstrip("号项个")
    if pick.isdigit() or (len(pick) == 1 and pick in _CN and step not in ("grade",)):
        index = int(pick) if pick.isdigit() else _CN[pick]
        if 1 <= index <= len(options):
            return options[index - 1][1]
        if index == len(options) + 1 and step != "who":
            return UNKNOWN
        return None
    for _label, value, words in options:
        if word in words or compact(text) in words:
            return value
    if word.startswith(("不是", "不在", "没有", "没吃", "没")):  # "不是低保户", "不是平阳的": the "no" option
        negative = next((value for _l, value, words in options if "不是" in words), None)
        if negative is not None:
            return negative
    found = [(len(w), -i, value) for i, (_l, value, words) in enumerate(options) for w in words
             if len(w) >= 2 and w in word]  # "我是肢体二级的": the longest option word in the sentence
    if found:
        return max(found)[2]
    if step == "age" and (years := spoken_number(word)) is not None and years <= 120:
        return age_band(years)
    return None
