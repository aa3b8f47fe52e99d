"""Field-by-field validation of a posting from any source (API JSON, spreadsheet row, console form).

Every message is "中文 / English" so staff and integrators both read it. Values are normalised
(trailing spaces, full-width digits, Excel serial dates, 视障 → 视力) before they are checked.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field

from bot.calendar_cn import excel_day, ymd
from bot.wechat.inbound import strip_control
from bot.jobs.models import CATEGORIES, KINDS
from bot.answers.towns import match_town

DEFAULT_DAYS = 60  # no end date given: a stale posting sends residents to dead phone numbers
MAX_DAYS = 366
REQUIRED = ("title", "employer", "contact_phone")
LIMITS = {"external_id": 100, "title": 60, "employer": 100, "town": 32, "address": 200, "salary": 60,
          "working_hours": 100, "description": 1000, "requirements": 500, "accessibility": 300,
          "source": 100}
MULTILINE = {"description", "requirements", "accessibility"}
FIELDS = (*LIMITS, "positions", "categories", "kind", "contact_phone", "valid_from", "valid_until")
LABELS = {"external_id": "编号", "title": "岗位名称", "employer": "用人单位", "town": "乡镇", "address": "地址",
          "positions": "招聘人数", "salary": "薪资", "working_hours": "工作时间", "description": "岗位描述",
          "requirements": "岗位要求", "categories": "适合残疾类别", "accessibility": "无障碍条件",
          "kind": "用工形式", "contact_phone": "联系电话", "valid_from": "开始日期", "valid_until": "截止日期",
          "source": "来源"}
_CATEGORY_WORDS = {"视力": ("视力", "视障", "盲", "低视力"), "听力": ("听力", "听障", "聋"),
                   "言语": ("言语", "语言", "哑"), "肢体": ("肢体", "肢残", "轮椅"),
                   "智力": ("智力", "智障"), "精神": ("精神",), "多重": ("多重",)}
_ALL_WORDS = ("不限", "全部", "均可", "所有", "都可以", "all")
_KIND_WORDS = {"全职": ("全职", "fulltime", "full_time"), "兼职": ("兼职", "parttime", "part_time", "临时", "小时工"),
               "辅助性就业": ("辅助性就业", "辅助性", "辅助就业", "庇护", "sheltered"),
               "居家就业": ("居家就业", "居家", "在家", "home", "remote")}
_CODES = {"external_id", "contact_phone"}
_SPLIT = re.compile(r"[、,，;；/|和及\s]+")
_PHONE = re.compile(r"^(?:\+?86)?[\d\-()（） ]{7,24}(?:(?:转|ext\.?|#)\d{1,6})?$", re.IGNORECASE)
_ID = re.compile(r"^[\w.:\-]+$")


class Invalid(ValueError):
    """One field's problem, already in both languages."""


def msg(zh: str, en: str) -> str:
    return f"{zh} / {en}"


@dataclass
class Cleaned:
    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)


def _text(value, name: str) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores phone numbers and ids typed as numbers as floats
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise Invalid(msg("应为文字", "must be text"))
    # NFKC only for codes: in prose it would turn Chinese full-width punctuation into ASCII.
    text = strip_control(unicodedata.normalize("NFKC", str(value)) if name in _CODES else str(value))
    text = "\n".join(" ".join(line.split()) for line in text.strip().splitlines()) if name in MULTILINE \
        else " ".join(text.split())
    if len(text) > LIMITS.get(name, 40):
        raise Invalid(msg(f"不能超过 {LIMITS.get(name, 40)} 个字", f"at most {LIMITS.get(name, 40)} characters"))
    return text or None


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip() if not isinstance(value, (int, float)) else ""
    serial = value if isinstance(value, (int, float)) and not isinstance(value, bool) else (
        int(text) if text.isdigit() and len(text) == 5 else None)
    if serial is not None:  # an Excel day number (1900 system): 45992 = 2025-12-01
        if not 20000 <= serial <= 80000:
            raise Invalid(msg("日期数字不对", "not a date serial"))
        return excel_day(serial)
    try:
        day = ymd(text)
    except ValueError as exc:
        raise Invalid(msg("没有这一天", "no such date")) from exc
    if day is None:
        raise Invalid(msg("日期格式应为 2026-12-31", "date must look like 2026-12-31"))
    return day


def parse_categories(value) -> list[str]:
    words = value if isinstance(value, list) else _SPLIT.split(str(value or ""))
    found: list[str] = []
    for raw in words:
        word = unicodedata.normalize("NFKC", str(raw)).strip().lower()
        word = word.removesuffix("人").removesuffix("残疾").removesuffix("类") if len(word) > 2 else word
        if not word:
            continue
        if word in _ALL_WORDS:
            return list(CATEGORIES)
        name = next((c for c, alias in _CATEGORY_WORDS.items() if any(a in word for a in alias)), None)
        if name is None:
            raise Invalid(msg(f"不认识“{raw}”，可填：{'、'.join(CATEGORIES)} 或 不限",
                              f"unknown category {raw!r}; use {', '.join(CATEGORIES)} or 不限"))
        if name not in found:
            found.append(name)
    return [c for c in CATEGORIES if c in found]


def parse_kind(value) -> str:
    word = unicodedata.normalize("NFKC", str(value)).strip().lower().replace(" ", "").replace("-", "_")
    for kind, aliases in _KIND_WORDS.items():
        if word in aliases:
            return kind
    raise Invalid(msg(f"应为：{'、'.join(KINDS)}", f"must be one of {', '.join(KINDS)}"))


def parse_positions(value) -> int | None:
    if isinstance(value, bool):
        raise Invalid(msg("应为人数", "must be a number"))
    text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("人名个位")
    if text in ("", "若干", "不限", "多名"):
        return None
    try:
        number = float(text)  # JSON allows Infinity and NaN, and 10**400 overflows int(float(…))
    except (ValueError, OverflowError) as exc:
        raise Invalid(msg("应为人数，如 3", "must be a number such as 3")) from exc
    if not math.isfinite(number) or not 1 <= number <= 10000:
        raise Invalid(msg("人数应在 1 到 10000 之间", "must be between 1 and 10000"))
    return int(number)


def _unencodable(value) -> bool:
    """A lone surrogate (JSON "\\ud800") cannot be stored by any database driver: refuse it per field."""
    if isinstance(value, list):
        return any(_unencodable(v) for v in value)
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value)


def parse_phone(value) -> str:
    text = _text(value, "contact_phone") or ""
    if not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 7:
        raise Invalid(msg("电话号码格式不对", "not a phone number"))
    return text


def clean(data: dict, *, knowledge_dir: str, partial: bool = False, strict: bool = True) -> Cleaned:
    """Validate the given fields; on create (partial=False) fill defaults and check required ones."""
    out = Cleaned()
    if strict:
        for name in data:
            if name not in FIELDS:
                out.errors[name] = msg("没有这个字段", "unknown field")
    for name in FIELDS:
        if name not in data:
            continue
        raw = data[name]
        try:
            if _unencodable(raw):
                raise Invalid(msg("含有无法识别的字符或数字", "contains an invalid character or number"))
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                value = None if name != "categories" else []
            elif name in ("valid_from", "valid_until"):
                value = parse_date(raw)
            elif name == "categories":
                value = parse_categories(raw)
            elif name == "kind":
                value = parse_kind(raw)
            elif name == "positions":
                value = parse_positions(raw)
            elif name == "contact_phone":
                value = parse_phone(raw)
            else:
                value = _text(raw, name)
                if name == "external_id" and value and not _ID.match(value):
                    raise Invalid(msg("只能有字母、数字、汉字和 . : - _", "letters, digits, . : - _ only"))
                if name == "town" and value:
                    town = match_town(knowledge_dir, value)
                    if town is None:
                        out.warnings[name] = msg("不是平阳县已知的乡镇", "not a known town of the county")
                    value = town or value
        except Invalid as exc:
            out.errors[name] = str(exc)
            continue
        out.values[name] = value
    for name in REQUIRED:
        if (not partial or name in data) and not out.values.get(name) and name not in out.errors:
            out.errors[name] = msg(f"{LABELS[name]}必须填写", "required")
    if not partial and not out.values.get("kind") and "kind" not in out.errors:
        out.values["kind"] = "全职"
        out.warnings["kind"] = msg("未填用工形式，按全职处理", "kind missing, assumed 全职 (full time)")
    return out


def check_dates(valid_from: dt.date | None, valid_until: dt.date | None, today: dt.date) -> dict[str, str]:
    """Cross-field date rules, applied after defaults and (for edits) the stored values are merged."""
    if valid_from is None or valid_until is None:
        return {}
    if valid_until < valid_from:
        return {"valid_until": msg("截止日期早于开始日期", "valid_until is before valid_from")}
    if valid_until < today:
        return {"valid_until": msg("截止日期已经过了", "valid_until is in the past")}
    if (valid_until - valid_from).days > MAX_DAYS:
        return {"valid_until": msg("有效期不能超过一年", "validity may not exceed one year")}
    return {}
