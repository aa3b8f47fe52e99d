"""Plugs the job feed into the scheduler, the notice audiences and “删除我的信息”.

Imported by handlers/jobs.py (the web app and the scheduler import every handler module);
registering twice replaces the earlier registration.
"""
from __future__ import annotations

from bot.audiences import register_tag_provider
from bot.jobs.digest import forget_resident, send_job_digests, subscriber_openids
from bot.jobs.postings import expire_postings
from bot.privacy import register_forgetter
from bot.scheduler import register_tick

EXPIRE_TICK_SECONDS = 3600
# The digest only goes out 09:00–20:00 local time, so it must run at least hourly.
DIGEST_TICK_SECONDS = 900


def install() -> None:
    register_tick("jobs.expire", lambda rt: expire_postings(rt.sessions), seconds=EXPIRE_TICK_SECONDS)
    register_tick("jobs.digest", lambda rt: send_job_digests(rt.sessions, rt.settings), seconds=DIGEST_TICK_SECONDS)
    register_tag_provider("subscribers", subscriber_openids)
    register_forgetter("岗位订阅", forget_resident)
