"""Create, update, withdraw and expire postings; views per posting. Called by the API, the CLI import,
the staff console and scheduler ticks; every write goes through save_posting so all share one set of rules.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select, update
from sqlalchemy.orm import Session

from bot.calendar_cn import day_start
from bot.privacy.audit import audit
from bot.db import LOCAL_TZ, utcnow
from bot.jobs.models import CATEGORIES, JobPosting, JobView
from bot.jobs.validation import DEFAULT_DAYS, FIELDS, check_dates, clean, msg

log = logging.getLogger(__name__)


class InvalidPosting(ValueError):
    """Field errors ({field: "中文 / English"}); nothing was written."""

    def __init__(self, errors: dict[str, str], warnings: dict[str, str] | None = None):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors, self.warnings = errors, warnings or {}


class PostingNotFound(LookupError):
    pass


@dataclass
class Saved:
    posting: JobPosting
    outcome: str  # created | updated | unchanged
    warnings: dict[str, str] = field(default_factory=dict)


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(LOCAL_TZ).date()


def is_open(today: dt.date):
    """SQL condition for what residents may see: open, started, not past its last day."""
    return ((JobPosting.status == "open") & (JobPosting.valid_from <= today)
            & (JobPosting.valid_until >= today))


def open_postings(today: dt.date):
    newest = (JobPosting.announce_at.desc(), JobPosting.id.desc())
    return select(JobPosting).where(is_open(today)).order_by(*newest)


def find(session: Session, external_id: str) -> JobPosting | None:
    return session.scalar(select(JobPosting).where(JobPosting.external_id == external_id))


def save_posting(session: Session, data: dict, *, actor: str, knowledge_dir: str,
                 external_id: str | None = None, partial: bool = False, strict: bool = True,
                 now: dt.datetime | None = None) -> Saved:
    """Create or update by external_id; partial=True edits only the given fields (PATCH).

    A full save replaces every field (re-posting or re-importing is an idempotent upsert). A withdrawn
    posting stays withdrawn when re-posted, so a nightly sync cannot resurrect what staff took down;
    an expired one reopens when its end date is moved into the future.
    """
    now = now or utcnow()
    today = local_today(now)
    cleaned = clean(data, knowledge_dir=knowledge_dir, partial=partial, strict=strict)
    errors, warnings, values = dict(cleaned.errors), dict(cleaned.warnings), cleaned.values
    external_id = external_id or values.get("external_id")
    if external_id and values.get("external_id") not in (None, external_id):
        errors["external_id"] = msg("编号不能修改", "external_id cannot be changed")
    posting = find(session, external_id) if external_id else None
    if partial and posting is None:
        raise PostingNotFound(external_id)
    if not partial:  # full replace: absent optional fields become empty
        values = {name: values.get(name) for name in FIELDS} | {"categories": values.get("categories") or []}
    values.pop("external_id", None)
    # Dates left out keep the stored ones, so re-importing the same sheet tomorrow changes nothing.
    start = values.get("valid_from") or (posting.valid_from if posting else today)
    end = values.get("valid_until") or (posting.valid_until if posting else None)
    if end is None:
        end = max(start, today) + dt.timedelta(days=DEFAULT_DAYS)
        warnings["valid_until"] = msg(f"未填截止日期，默认 {DEFAULT_DAYS} 天后",
                                      f"no end date, {DEFAULT_DAYS} days assumed")
    if "valid_from" not in errors and "valid_until" not in errors:
        errors.update(check_dates(start, end, today))
    if errors:
        raise InvalidPosting(errors, warnings)
    values["valid_from"], values["valid_until"] = start, end
    if partial:
        values = {k: v for k, v in values.items() if k in data or k in ("valid_from", "valid_until")}
    if posting is None:
        posting = JobPosting(external_id=external_id or f"wx-{secrets.token_hex(6)}", created_by=actor[:64],
                             announce_at=max(now, day_start(start)), **values)
        session.add(posting)
        session.flush()
        audit(session, actor, "jobs.create", f"job:{posting.external_id}", title=posting.title)
        return Saved(posting, "created", warnings)
    changed = {k: v for k, v in values.items() if getattr(posting, k) != v}
    if posting.status == "withdrawn":
        warnings["status"] = msg("这个岗位已撤下，修改后仍不显示", "job is withdrawn and stays hidden")
    if posting.status == "expired" and end >= today:
        changed["status"] = "open"
    if not changed:
        return Saved(posting, "unchanged", warnings)
    if "valid_from" in changed and posting.announce_at > now:  # not yet announced: follow the new start
        posting.announce_at = max(now, day_start(start))
    for key, value in changed.items():
        setattr(posting, key, value)
    session.flush()
    audit(session, actor, "jobs.update", f"job:{posting.external_id}", fields=sorted(changed))
    return Saved(posting, "updated", warnings)


def withdraw_posting(session: Session, external_id: str, *, actor: str) -> JobPosting:
    """Take a posting down now (idempotent); residents stop seeing it at once."""
    posting = find(session, external_id)
    if posting is None:
        raise PostingNotFound(external_id)
    if posting.status != "withdrawn":
        posting.status, posting.withdrawn_at = "withdrawn", utcnow()
        audit(session, actor, "jobs.withdraw", f"job:{external_id}", title=posting.title)
    return posting


def expire_postings(sessions, now: dt.datetime | None = None) -> int:
    """Scheduler tick: mark open postings past their last day as expired (reads already hide them)."""
    today = local_today(now)
    with sessions.begin() as session:
        count = session.execute(update(JobPosting).where(
            JobPosting.status == "open", JobPosting.valid_until < today).values(status="expired")).rowcount
    if count:
        log.info("expired %d job postings", count)
    return count


def record_view(session: Session, posting: JobPosting, openid: str) -> None:
    session.add(JobView(posting_id=posting.id, openid=openid))


def view_stats(session: Session, since: dt.datetime | None = None, include_closed: bool = True,
               ids: list[int] | None = None) -> list[dict]:
    """Views and distinct viewers per posting, most viewed first (the staff console's table)."""
    views = select(JobView.posting_id, func.count(JobView.id).label("views"),
                   func.count(distinct(JobView.openid)).label("viewers"))
    if since is not None:
        views = views.where(JobView.created_at >= since)
    views = views.group_by(JobView.posting_id).subquery()
    query = select(JobPosting, func.coalesce(views.c.views, 0), func.coalesce(views.c.viewers, 0)).outerjoin(
        views, views.c.posting_id == JobPosting.id)
    if not include_closed:
        query = query.where(is_open(local_today()))
    if ids is not None:  # one page of the console's list
        query = query.where(JobPosting.id.in_(ids))
    rows = session.execute(query.order_by(func.coalesce(views.c.views, 0).desc(), JobPosting.id.desc()))
    return [{"id": p.id, "external_id": p.external_id, "title": p.title, "employer": p.employer,
             "status": p.status, "valid_until": p.valid_until.isoformat(), "views": n, "viewers": u}
            for p, n, u in rows]


def to_dict(posting: JobPosting) -> dict:
    """The API's representation (also handy for the console)."""
    data = {name: getattr(posting, name) for name in FIELDS}
    data.update(valid_from=posting.valid_from.isoformat(), valid_until=posting.valid_until.isoformat(),
                categories=list(posting.categories or []), status=posting.status, id=posting.id,
                created_at=posting.created_at.isoformat(), updated_at=posting.updated_at.isoformat())
    cats = data["categories"]
    data["categories_text"] = "不限" if set(cats) == set(CATEGORIES) else "、".join(cats)
    return data
