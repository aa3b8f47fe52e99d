"""A registered resident whose registration the registry confirmed: category, grade, age and town known."""
from __future__ import annotations

import datetime as dt

from bot.entitle.questions import age_band
from bot.people.registration import current, linked_records
from bot.privacy.pii import decrypt

CATEGORIES = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
ISSUED = ("已发证", "待领取", "制证")


def _age(id_number: str, today: dt.date) -> int | None:
    try:
        born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, IndexError):
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def from_registry(session, data_key: str, openid: str, today: dt.date) -> tuple[dict, str] | None:
    """(profile fields, the town or "") from the linked registry record, or None when not known."""
    reg = current(session, openid)
    records = [r for r in linked_records(session, reg) if r.category and r.grade]
    if not records:
        return None
    record = max(records, key=lambda r: (r.step in ISSUED, r.step_date or dt.date.min, r.id))
    age = _age(decrypt(data_key, reg.id_enc) or "", today)
    if age is None or record.category not in CATEGORIES or record.grade not in GRADES:
        return None
    issued = any(r.step in ISSUED or r.business_type != "新办" for r in records)
    profile = {"who": "本人" if reg.relation == "本人" else "家属", "cert": "有证" if issued else "正在办",
               "category": CATEGORIES[record.category], "age": age_band(age), "huji": "平阳"}
    if issued:
        profile["grade"] = GRADES[record.grade]
    return profile, reg.town or record.town or ""


def describe(profile: dict, town: str) -> str:
    """'肢体二级，18-59 岁，住鳌江镇' — bands, never the birth date."""
    grade = profile.get("grade", "，等级还在评定")
    where = f"，住{town}" if town else ""
    cert = "有残疾人证" if profile["cert"] == "有证" else "残疾人证正在办"
    return f"{profile['category']}{grade}，{profile['age']} 岁，{cert}，平阳户籍{where}"
