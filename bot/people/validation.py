"""Checks for what staff import and residents type: ID numbers (GB 11643), certificate numbers, dates.

Every check raises Invalid with a short Chinese reason that staff or residents can act on. Nothing here
guesses: a number Excel has mangled is reported, never repaired.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from bot.answers.normalize import simplified
from bot.calendar_cn import CATEGORIES, excel_day, ymd
from bot.privacy.pii import fold_digits

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number

_ID18 = re.compile(r"\d{17}[\dX]")
_CERT = re.compile(r"(\d{17}[\dX])(\d)(\d)(B\d*)?")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")


class Invalid(ValueError):
    """A value that cannot be used, with the reason in plain Chinese."""


class NotGenuine(Invalid):
    """Well-formed but cannot be a real number (check digit, birth date, codes): counts as a failed try."""


def clean(value) -> str:
    """Text of a cell or message: full-width folded, invisible characters and outer spaces removed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _INVISIBLE.sub("", text).strip()


def squeeze(value) -> str:
    """clean() plus no inner spaces, dashes or punctuation (for numbers typed or dictated in groups)."""
    return re.sub(r"[\s\-_.,;:，。、；：()（）]+", "", clean(value))


def spoken_digits(text: str) -> str:
    """Digits said aloud and transcribed as characters ("幺三八…", "叉") become digits ("138…", "X")."""
    return fold_digits(clean(text)).replace("艾克斯", "X")  # the scrubber's digit table: one for both


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def _excel_number(value) -> str:
    """A number cell: reported, because an ID as a number has already lost digits or its X."""
    digits = str(int(value)) if float(value).is_integer() else str(value)
    if len(digits) == 17:
        raise Invalid("号码是数字格式且只有 17 位：末位的 X 丢了（数字存不下 X），其余位也可能被 Excel 改动；"
                      "请把这一列设为“文本”格式，从原始记录重新粘贴后再导入")
    if len(digits) > EXCEL_DIGITS:
        raise Invalid(f"号码被存成了数字格式，Excel 只保留 {EXCEL_DIGITS} 位，后几位可能已经变成 0；"
                      "请把这一列设为“文本”格式，从原始记录重新粘贴后再导入")
    raise Invalid(f"号码是数字格式，只有 {len(digits)} 位，不是 18 位身份证号或 20 位残疾人证号")


def parse_identity(value) -> tuple[str, str | None]:
    """(18-digit ID, certificate number or None) from an ID or a 20-digit certificate number (+B/B2)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _excel_number(value)
    if re.fullmatch(r"\d(\.\d+)?E\+?\d+", clean(value).upper()):
        raise Invalid("号码变成了科学计数法（如 3.30326E+17），后几位已经丢失；请设为“文本”后重新导出")
    text = squeeze(value).upper()
    if not text:
        raise Invalid("没有填号码")
    if len(text) == 15 and text.isdigit():
        raise Invalid("这是 15 位的老身份证号，请换成 18 位的新号码")
    if len(text) == 17 and text.isdigit():
        raise Invalid("号码只有 17 位，少了一位（末位是 X 的号码常会丢掉 X）")
    cert = _CERT.fullmatch(text)
    if cert:
        id18, category, grade, suffix = cert.groups()
        _check_id(id18)
        if int(category) not in CATEGORIES:
            raise NotGenuine(f"残疾人证号第 19 位是残疾类别，应为 1–7，这里是 {category}")
        if int(grade) not in GRADES:
            raise NotGenuine(f"残疾人证号第 20 位是残疾等级，应为 1–4，这里是 {grade}")
        if suffix and suffix not in ("B",) and not re.fullmatch(r"B[1-9]\d?", suffix):
            raise Invalid("补发证号的后缀应为 B、B2 这样的写法")
        return id18, text
    if not _ID18.fullmatch(text):
        raise Invalid("号码应为 18 位身份证号（最后一位可以是 X）或 20 位残疾人证号")
    _check_id(text)
    return text, None


def _check_id(id18: str) -> None:
    if check_digit(id18[:17]) != id18[17]:
        raise NotGenuine("最后一位（校验码）对不上，请核对每一位数字")
    try:
        born = dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        raise NotGenuine("号码里的出生日期（第 7–14 位）不存在") from None
    if born.year < 1900 or born > dt.date.today():
        raise NotGenuine("号码里的出生日期（第 7–14 位）不对")


def parse_code(value, names: dict[int, str], what: str) -> int | None:
    """A category (1–7) or grade (1–4) written as a digit, '4', '四级', '肢体' or '肢体残疾'."""
    text = re.sub(r"\s+", "", clean(value))
    if not text:
        return None
    text = re.sub(r"^(\d+)\.0+$", r"\1", text).removesuffix("残疾").removesuffix("类")
    if text.isdigit() and int(text) in names:
        return int(text)
    for code, name in names.items():
        if text in (name, name.rstrip("级"), f"{code}级"):
            return code
    raise Invalid(f"{what}看不懂：{text}")


def parse_date(value, what: str = "日期") -> dt.date | None:
    """Excel dates, Excel serial numbers and Y-M-D text in its usual spellings; D/M/Y is refused."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value, what)
    text = clean(value).replace(" 00:00:00", "").replace("T00:00:00", "")
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a serial number exported to CSV
        return _serial(float(text), what)
    try:
        day = ymd(text)
    except ValueError:
        raise Invalid(f"{what}不存在：{text}") from None
    if day is None:
        raise Invalid(f"{what}看不懂：{text}（请写成 2026-05-06）")
    return day


def _serial(number: float, what: str) -> dt.date:
    if not 1 <= number < 2958466:
        raise Invalid(f"{what}看不懂：{number}")
    return excel_day(number)


def parse_phones(value) -> str | None:
    """One or more phone numbers ('138…；0577-…'), digits only, joined by ','; None when blank."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(int(value))
        if not (len(digits) == 11 and digits.startswith("1")):
            raise Invalid("电话是数字格式，开头的 0 可能丢了；请把这一列设为“文本”后重新填写")
        return digits
    phones = []
    for part in re.split(r"[,，;；/、]+", clean(value)):
        if not part.strip():
            continue
        number = _phone(part)  # "138 1234 5678" is one number; "138… 139…" two
        phones += [number] if number else [_phone(p) or _bad_phone() for p in part.split()]
    return ",".join(phones) or None


def _phone(text: str) -> str | None:
    number = re.sub(r"[\s\-()（）+]", "", text)
    if number.startswith("86") and len(number) == 13:
        number = number[2:]
    ok = (re.fullmatch(r"1[3-9]\d{9}", number) or re.fullmatch(r"0\d{9,11}", number)
          or re.fullmatch(r"[2-8]\d{6,7}", number))
    return number if ok else None


def _bad_phone():
    raise Invalid("电话号码格式不对（手机 11 位，座机请带区号）")


def parse_name(value) -> str:
    """A person's name: 2–20 characters, no digits; inner spaces dropped ('张 三' → '张三')."""
    name = re.sub(r"\s+", "", clean(value))
    name = re.sub(r"^(我叫|我是|名字是|名字叫|姓名是|姓名|他叫|她叫|叫)", "", name).rstrip("。.!！")
    if not name:
        raise Invalid("没有填姓名")
    if re.search(r"\d", name) or not 2 <= len(name) <= 20:
        raise Invalid("姓名应为 2–20 个字，不能有数字")
    return name


def fold_name(name: str | None) -> str:
    """Width, spaces, middle dots and traditional characters folded: '張 三' and '张三' are one name."""
    return simplified(re.sub(r"[\s·•．.・]", "", clean(name)))


def same_name(a: str | None, b: str | None) -> bool:
    return bool(a and b) and fold_name(a) == fold_name(b)
