"""Residents' job subscriptions and the daily digest of new matching postings.

At most one digest per resident per local day: the outbox dedupe key carries the date, and a second
run the same day finds it and leaves the cursor alone, so later postings wait for tomorrow's digest.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.db import LOCAL_TZ, utcnow
from bot.jobs.models import JobPosting, JobSubscription, JobView
from bot.jobs.postings import local_today, open_postings
from bot.jobs.search import Query, parse_query, score
from bot.models import Follower, OutboxMessage
from bot.outbox.notify import notify

log = logging.getLogger(__name__)
MAX_SUBSCRIPTIONS = 5
DIGEST_ITEMS = 5
SEND_HOURS = range(9, 20)  # local time: nobody wants a job alert at 3 a.m.


class TooManySubscriptions(ValueError):
    pass


def query_of(sub: JobSubscription, knowledge_dir: str) -> Query:
    query = parse_query(sub.keywords, knowledge_dir)
    query.town = sub.town
    return query


def add_subscription(session: Session, openid: str, text: str, knowledge_dir: str, everything: bool = False,
                     now: dt.datetime | None = None) -> tuple[JobSubscription, bool] | None:
    """Subscribe to what text asks for (or to every posting); (sub, created), None if text names nothing."""
    query = Query() if everything else parse_query(text, knowledge_dir)
    if query.empty and not everything:
        return None
    keywords = query.words(with_town=False)[:100]
    existing = list_subscriptions(session, openid)
    for sub in existing:
        if sub.town == query.town and sub.keywords == keywords:
            return sub, False
    if len(existing) >= MAX_SUBSCRIPTIONS:
        raise TooManySubscriptions(openid)
    sub = JobSubscription(openid=openid, town=query.town, keywords=keywords, notified_until=now or utcnow())
    session.add(sub)
    session.flush()
    return sub, True


def list_subscriptions(session: Session, openid: str) -> list[JobSubscription]:
    return list(session.scalars(select(JobSubscription).where(JobSubscription.openid == openid)
                                .order_by(JobSubscription.id)))


def describe(sub: JobSubscription) -> str:
    return "、".join(filter(None, (sub.town, *sub.keywords.split()))) or "全部岗位"


def remove_subscriptions(session: Session, openid: str, number: int | None = None) -> int:
    """Remove the resident's number-th subscription (1-based), or all of them."""
    subs = list_subscriptions(session, openid)
    chosen = subs if number is None else subs[number - 1:number] if number >= 1 else []
    for sub in chosen:
        session.delete(sub)
    return len(chosen)


def forget_resident(session: Session, openid: str) -> int:
    """For "delete my data": subscriptions go; views are kept anonymous for staff statistics."""
    removed = session.execute(delete(JobSubscription).where(JobSubscription.openid == openid)).rowcount
    session.query(JobView).filter(JobView.openid == openid).update({"openid": "-"}, synchronize_session=False)
    return removed


def subscriber_openids(session: Session) -> list[str]:
    """Followers with at least one job subscription (the notices' "subscribers" audience)."""
    rows = session.scalars(select(JobSubscription.openid)
                           .join(Follower, Follower.openid == JobSubscription.openid)
                           .where(Follower.subscribed.is_(True)).distinct().order_by(JobSubscription.openid))
    return list(rows)


def digest_text(postings: list[JobPosting], total: int) -> str:
    lines = [f"您订阅的岗位有 {total} 个新信息："]
    for i, p in enumerate(postings, 1):
        lines.append(f"{i}. {p.title}（{p.town or '地点见详情'}，{p.employer}）回复“岗位{p.id}”看详情")
    if total > len(postings):
        lines.append(f"还有 {total - len(postings)} 个，回复“我的订阅”再选数字查看。")
    lines.append("不想再收，回复“退订”。")
    return "\n".join(lines)


def send_job_digests(sessions, settings, now: dt.datetime | None = None) -> int:
    """Scheduler tick: queue one digest per subscriber with new matches; returns how many were queued."""
    now = now or utcnow()
    if now.astimezone(LOCAL_TZ).hour not in SEND_HOURS:
        return 0
    today = local_today(now)
    with sessions() as session:
        openids = subscriber_openids(session)
    queued = 0
    for openid in openids:
        with sessions.begin() as session:  # one resident per transaction: one failure spoils no others
            queued += _digest_one(session, settings, openid, now, today)
    if queued:
        log.info("queued %d job digests", queued)
    return queued


def _digest_one(session: Session, settings, openid: str, now: dt.datetime, today: dt.date) -> int:
    key = f"jobs:digest:{openid}:{today.isoformat()}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
        return 0  # today's digest already went (or is queued): the rest waits for tomorrow
    follower = session.get(Follower, openid)
    subs = list_subscriptions(session, openid)
    if follower is None or not follower.subscribed or not subs:
        return 0
    since = min(s.notified_until for s in subs)
    fresh = session.scalars(open_postings(today).where(JobPosting.announce_at > since,
                                                       JobPosting.announce_at <= now))
    watches = [(s.notified_until, query_of(s, settings.knowledge_dir)) for s in subs]
    new = [p for p in fresh if any(p.announce_at > after and score(p, q) is not None for after, q in watches)]
    if not new:
        return 0
    fields = {"title": new[0].title, "count": len(new), "date": today.isoformat()}
    # delivery picks template or text and respects WeChat's window itself
    notify(session, follower.openid, "job_digest", fields, key, digest_text(new[:DIGEST_ITEMS], len(new)),
           source="jobs:digest")
    for sub in subs:
        sub.notified_until = now
    return 1


__all__ = ["add_subscription", "list_subscriptions", "remove_subscriptions", "subscriber_openids",
           "send_job_digests", "forget_resident", "TooManySubscriptions"]
