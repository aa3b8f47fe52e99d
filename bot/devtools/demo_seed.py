"""`make run` fills an empty demo database once: a fictional registry, rounds, jobs, a notice, a login.

Only in demo mode and only when the database has no staff, registry, rounds, jobs or notices: a real
database (or one a newcomer already filled) is never touched. Everything goes through the same functions
staff use (registry import, round and posting saves, notices, accounts), in one transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.admin import accounts
from bot.admin.models import Staff
from bot.aids import service as aids
from bot.booking.models import AssessmentRound
from bot.booking.rounds import create_round
from bot.db import LOCAL_TZ, utcnow
from bot.devtools.demo_samples import FIRST, jobs_rows, JOBS_HEADER, registry_xlsx, sample_id
from bot.jobs.import_file import import_rows, parse_rows
from bot.jobs.models import JobPosting
from bot.notices import service as notices
from bot.outbox.models import Notice
from bot.people.models import CertRecord
from bot.people.registry_import import import_registry

log = logging.getLogger(__name__)
ACTOR = "示例数据"
LOGIN, PASSWORD = "demo", "Pingyang-2026"  # printed on start; demo mode only (production refuses demo)


@dataclass
class Seeded:
    status: str  # seeded | present (an earlier run seeded it) | skipped (not demo, or not empty)
    people: int = 0
    rounds: int = 0
    jobs: int = 0


def _models():
    return Staff, CertRecord, AssessmentRound, JobPosting, Notice


def is_empty(session) -> bool:
    return all(not session.scalar(select(func.count()).select_from(m)) for m in _models())


def seed_demo(settings, sessions) -> Seeded:
    """Seed once; returns what happened (never raises on a non-empty or non-demo database)."""
    if not settings.demo:
        return Seeded("skipped")
    with sessions.begin() as session:
        if not is_empty(session):
            return Seeded("present" if accounts.find(session, LOGIN) is not None else "skipped")
        done = _fill(session, settings)
    log.info("demo data seeded: %s", done)
    return done


def _fill(session, settings) -> Seeded:
    accounts.create(session, LOGIN, PASSWORD, "admin", ACTOR, display_name="演示账号")
    report = import_registry(session, settings, registry_xlsx(), ACTOR, filename="示例台账.xlsx")
    if report.errors:  # the sample is ours: a refused row is a bug here, not a staff problem
        raise RuntimeError(f"demo registry refused rows: {[(i.row, i.message) for i in report.errors]}")
    today = utcnow().astimezone(LOCAL_TZ).date()
    first_town = FIRST[10]
    rounds = [create_round(session, date=today + dt.timedelta(days=7), towns=[first_town, "昆阳镇", "水头镇"],
                           capacity=8, actor=ACTOR, team="第一评定组"),
              create_round(session, date=today + dt.timedelta(days=14), towns=["萧江镇", "腾蛟镇", "万全镇"],
                           capacity=6, actor=ACTOR, team="第二评定组", categories=[4, 5, 6])]
    table = [(1, list(JOBS_HEADER))] + [(n, list(row)) for n, row in enumerate(jobs_rows(), 2)]
    rows, _blank, _ignored = parse_rows(table)  # the spreadsheet import's own header mapping
    jobs = import_rows(session, rows, actor=ACTOR, knowledge_dir=settings.knowledge_dir)
    if not jobs.ok:
        raise RuntimeError(f"demo jobs refused: {jobs.lines()}")
    station = aids.add_station(session, first_town, "（示例）鳌江共享辅具驿站", actor=ACTOR)
    aids.set_stock(session, station.id, "轮椅", 2, actor=ACTOR)
    aids.set_stock(session, station.id, "助行器", 1, actor=ACTOR)
    morning = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(10), tzinfo=LOCAL_TZ)
    notices.create(session, title="（示例）助残日活动通知",
                   body="县残联将在文化中心举办助残日活动，有义诊、辅具展示和就业咨询，欢迎参加。",
                   place="平阳县文化中心（示例）", event_at=morning + dt.timedelta(days=4), scheduled_at=morning,
                   created_by=ACTOR, knowledge_dir=settings.knowledge_dir)
    return Seeded("seeded", people=report.inserted, rounds=len(rounds), jobs=jobs.count("created"))


def first_person() -> dict:
    """What the start-up text tells a newcomer to type when registering."""
    name, born, seq, *_rest = FIRST
    return {"name": name, "id_number": sample_id(born, seq), "phone": FIRST[11], "town": FIRST[10]}


def banner(seeded: Seeded, base: str) -> str:
    """The start-up text: the login and three things to try (empty when nothing is seeded)."""
    if seeded.status == "skipped":
        return "  （数据库里已有内容，没有写入示例数据。）\n"
    p = first_person()
    head = (f"  示例数据已写入：{seeded.people} 位虚构的持证人、{seeded.rounds} 个评残轮次、{seeded.jobs} 个岗位、"
            "1 条待发通知。\n" if seeded.status == "seeded" else "  示例数据（上次写入）仍在。\n")
    return (head
            + f"  后台：{base}/admin   用户名 {LOGIN}   密码 {PASSWORD}\n"
            + f"  在模拟器 {base}/ 里试试：\n"
            + f"   1. 注册为{p['name']}：发“注册”→ 1 → {p['name']} → {p['id_number']} → {p['phone']} → "
              f"{p['town'][:2]}，再发“办证进度”\n"
            + "   2. 预约评残：注册后发“预约评残”，按提示选日期；后台“评残预约”里能看到这条预约\n"
            + "   3. 找工作：发“找工作”或“鳌江的工作”\n"
            + "   4. 借轮椅：注册后发“借轮椅”；也可以发“我能领什么”做一次政策体检\n"
            + "  命令行：先 source .venv/bin/activate，再用 wxbot --help（或直接 .venv/bin/wxbot）\n")
