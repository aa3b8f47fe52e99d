"""What the job feed adds to the scheduler, the notice audiences and “删除我的信息” (declared data).

handlers/jobs.py puts these into its FEATURE; nothing here registers itself.
"""
from __future__ import annotations

from bot.engine.features import Tick
from bot.jobs.digest import forget_resident, send_job_digests, subscriber_openids
from bot.jobs.postings import expire_postings

EXPIRE_TICK_SECONDS = 3600
# The digest only goes out 09:00–20:00 local time, so it must run at least hourly.
DIGEST_TICK_SECONDS = 900

TICKS = (
    Tick("jobs.expire", lambda rt: expire_postings(rt.sessions), EXPIRE_TICK_SECONDS),
    Tick("jobs.digest", lambda rt: send_job_digests(rt.sessions, rt.settings), DIGEST_TICK_SECONDS),
)
TAG_AUDIENCES = {"subscribers": subscriber_openids}
FORGETTERS = (("岗位订阅", forget_resident),)
