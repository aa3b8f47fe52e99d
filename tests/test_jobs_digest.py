"""Scheduler work: the daily digest (once per subscriber per local day), expiry, the notice audience."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.db import LOCAL_TZ
from bot.jobs.digest import send_job_digests, subscriber_openids
from bot.jobs.models import JobPosting, JobSubscription
from bot.jobs.postings import expire_postings, save_posting
from bot.models import OutboxMessage

TODAY = dt.datetime.now(LOCAL_TZ).date()


def at(days: int = 0, minutes: int = 0, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(TODAY, dt.time(hour), LOCAL_TZ) + dt.timedelta(days=days, minutes=minutes)


def add_job(services, external_id, title, town="鳌江", now=None, **fields):
    with services.sessions.begin() as s:
        return save_posting(s, {"external_id": external_id, "title": title, "employer": "某厂", "town": town,
                                "contact_phone": "13800000000", **fields}, actor="test", now=now,
                            knowledge_dir=services.settings.knowledge_dir).posting.id


def subscribe(chat, services, openid, text):
    chat(text, openid=openid)
    with services.sessions.begin() as s:  # as if subscribed before the day's postings
        s.execute(update(JobSubscription).where(JobSubscription.openid == openid)
                  .values(notified_until=at(minutes=-60)))


def digests(services, openid):
    with services.sessions() as s:
        key = OutboxMessage.dedupe_key.like(f"%jobs:digest:{openid}:%")
        rows = s.scalars(select(OutboxMessage).where(key).order_by(OutboxMessage.id))
        return [r.payload["text"]["content"] for r in rows]


def test_one_digest_per_subscriber_per_day_even_if_the_tick_runs_twice(chat, services, settings):
    subscribe(chat, services, "o_a", "订阅岗位 鳌江 包装")
    subscribe(chat, services, "o_b", "订阅岗位 居家")
    first = add_job(services, "D1", "纸箱包装工", now=at(minutes=1))
    add_job(services, "D2", "电商客服", town="萧江", kind="居家就业", now=at(minutes=1))
    add_job(services, "D3", "厨师", town="昆阳", now=at(minutes=1))
    assert send_job_digests(services.sessions, settings, now=at(minutes=5)) == 2
    later = add_job(services, "D4", "包装操作工", now=at(minutes=10))
    assert send_job_digests(services.sessions, settings, now=at(minutes=20)) == 0  # second run, same day
    [text] = digests(services, "o_a")
    assert f"岗位{first}" in text and "厨师" not in text and "电商客服" not in text and "退订" in text
    assert "电商客服" in digests(services, "o_b")[0]
    assert send_job_digests(services.sessions, settings, now=at(days=1)) == 1  # the next day: the rest
    texts = digests(services, "o_a")
    assert len(texts) == 2 and f"岗位{later}" in texts[1] and f"岗位{first}" not in texts[1]
    assert send_job_digests(services.sessions, settings, now=at(days=1, minutes=30)) == 0


def test_unfollowed_residents_get_nothing_and_leave_the_audience(chat, services, settings):
    subscribe(chat, services, "o_gone", "订阅岗位 包装")
    subscribe(chat, services, "o_stay", "订阅岗位 包装")
    chat.event("unsubscribe", openid="o_gone")
    add_job(services, "D1", "包装工", now=at(minutes=1))
    assert send_job_digests(services.sessions, settings, now=at(minutes=5)) == 1
    assert digests(services, "o_gone") == [] and len(digests(services, "o_stay")) == 1
    with services.sessions() as s:
        assert subscriber_openids(s) == ["o_stay"]


def test_no_digest_at_night(chat, services, settings):
    subscribe(chat, services, "o_a", "订阅岗位 包装")
    add_job(services, "D1", "包装工", now=at(minutes=1))
    assert send_job_digests(services.sessions, settings, now=at(days=1, hour=3)) == 0
    assert send_job_digests(services.sessions, settings, now=at(days=1, hour=9)) == 1


def test_postings_not_yet_started_wait_for_their_first_day(chat, services, settings):
    subscribe(chat, services, "o_a", "订阅岗位 包装")
    add_job(services, "D1", "包装工", now=at(minutes=1), valid_from=(TODAY + dt.timedelta(days=2)).isoformat())
    assert send_job_digests(services.sessions, settings, now=at(minutes=5)) == 0
    assert send_job_digests(services.sessions, settings, now=at(days=2)) == 1


@pytest.mark.parametrize("tick_twice", [False, True])
def test_expire_postings_past_their_last_day(chat, services, tick_twice):
    job = add_job(services, "E1", "包装工")
    with services.sessions.begin() as s:
        s.get(JobPosting, job).valid_until = TODAY - dt.timedelta(days=1)
    assert expire_postings(services.sessions) == 1
    if tick_twice:
        assert expire_postings(services.sessions) == 0
    with services.sessions() as s:
        assert s.get(JobPosting, job).status == "expired"
    assert "包装工" not in chat("找工作").text
    # Re-posting with a later end date reopens it (a withdrawn one would stay down).
    with services.sessions.begin() as s:
        saved = save_posting(s, {"external_id": "E1", "title": "包装工", "employer": "某厂",
                                 "contact_phone": "13800000000",
                                 "valid_until": (TODAY + dt.timedelta(days=5)).isoformat()},
                             actor="test", knowledge_dir=services.settings.knowledge_dir)
        assert (saved.outcome, saved.posting.status) == ("updated", "open")
    assert "包装工" in chat("找工作").text
