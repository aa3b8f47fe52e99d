"""How postings read in WeChat: one short line in a list, a details page with the phone."""
from __future__ import annotations

from bot.jobs.models import CATEGORIES, JobPosting

PAGE_SIZE = 5


def _clip(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def categories_text(posting: JobPosting) -> str:
    cats = list(posting.categories or [])
    if not cats:
        return ""
    return "各类残疾人都可以" if set(cats) == set(CATEGORIES) else "、".join(cats) + "残疾"


def list_line(posting: JobPosting) -> str:
    """'包装工，鳌江镇，全职，3000-4000元/月': what, where, how, pay. Commas, not bars: screen readers
    read a bar aloud ("竖线")."""
    parts = [_clip(posting.title, 20), posting.town, posting.kind, _clip(posting.salary, 16)]
    return "，".join(p for p in parts if p)


def detail(posting: JobPosting) -> str:
    people = f"招 {posting.positions} 人" if posting.positions else "人数若干"
    lines = [f"【{posting.title}】", f"单位：{posting.employer}"]
    where = " ".join(filter(None, (posting.town, posting.address)))
    lines += [f"地点：{where}"] if where else []
    lines.append(f"类型：{posting.kind}，{people}")
    lines += [f"工资：{posting.salary}"] if posting.salary else []
    lines += [f"上班时间：{posting.working_hours}"] if posting.working_hours else []
    cats = categories_text(posting)
    lines += [f"适合：{cats}"] if cats else []
    lines += [f"无障碍条件：{_clip(posting.accessibility, 80)}"] if posting.accessibility else []
    lines += [f"工作内容：{_clip(posting.description, 150)}"] if posting.description else []
    lines += [f"要求：{_clip(posting.requirements, 100)}"] if posting.requirements else []
    lines.append(f"招聘截止：{posting.valid_until.year}年{posting.valid_until.month}月{posting.valid_until.day}日")
    lines.append(f"联系电话：{posting.contact_phone}")
    lines.append("打电话时可以说是在县残联公众号看到的。")
    return "\n".join(lines)
