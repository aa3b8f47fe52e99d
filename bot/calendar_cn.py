"""Days as residents and staff read them: local midnight, weekday names, disability categories."""
from __future__ import annotations

import datetime as dt
import re

from bot.db import LOCAL_TZ, local_now

WEEKDAYS = "一二三四五六日"  # 周一 … 周日 / 星期一 … 星期日
# The seven categories of the 残疾人证 (GB/T 26341), by their code on the certificate.
CATEGORIES = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
CATEGORY_NAMES = tuple(CATEGORIES.values())
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (its serial numbers)
_YMD = (re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"),
        re.compile(r"^(\d{4})(\d{2})(\d{2})$"))


def day_start(day: dt.date | None = None) -> dt.datetime:
    """Local midnight of `day` (default today) as an aware datetime: compares with UTC columns correctly."""
    return dt.datetime.combine(day or local_now().date(), dt.time.min, tzinfo=LOCAL_TZ)


def local_date(now: dt.datetime | None = None) -> dt.date:
    """The local calendar day of `now` (default: now)."""
    return (now or local_now()).astimezone(LOCAL_TZ).date()


def weekday(day: dt.date) -> str:
    """"一" … "日" (write 周/星期 before it)."""
    return WEEKDAYS[day.weekday()]


def excel_day(serial: float) -> dt.date:
    """The day of an Excel serial number (45992 = 2025-12-01); callers check the range they accept."""
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def ymd(text: str) -> dt.date | None:
    """Year-month-day as staff type it (2026-05-06, 2026/5/6, 2026年5月6日, 20260506); None when the text
    has another shape. Raises ValueError for a day that does not exist (2026-02-30)."""
    match = _YMD[0].match(text) or _YMD[1].match(text)
    return dt.date(*(int(g) for g in match.groups())) if match else None
