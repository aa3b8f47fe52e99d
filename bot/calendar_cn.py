"""Days as residents and staff read them: local midnight, weekday names, disability categories."""
from __future__ import annotations

import datetime as dt

from bot.db import LOCAL_TZ, local_now

WEEKDAYS = "一二三四五六日"  # 周一 … 周日 / 星期一 … 星期日
# The seven categories of the 残疾人证 (GB/T 26341), by their code on the certificate.
CATEGORIES = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
CATEGORY_NAMES = tuple(CATEGORIES.values())


def day_start(day: dt.date | None = None) -> dt.datetime:
    """Local midnight of `day` (default today) as an aware datetime: compares with UTC columns correctly."""
    return dt.datetime.combine(day or local_now().date(), dt.time.min, tzinfo=LOCAL_TZ)


def weekday(day: dt.date) -> str:
    """"一" … "日" (write 周/星期 before it)."""
    return WEEKDAYS[day.weekday()]
