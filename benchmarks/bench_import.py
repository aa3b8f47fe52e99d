"""Benchmark: import a 30 000-row registry workbook (synthetic IDs), then import it again (no changes).

The target is under 60 s for the first import. Rows are realistic: every column filled, a 20-digit
certificate number on half of them, 1 % bad rows (wrong check digit) and 300 linked registrations so
the notification path runs too. Writes benchmarks/results/bench_import[_postgresql].json.

    .venv/bin/python benchmarks/bench_import.py [--rows 30000] [--database-url postgresql+psycopg://…]

With a PostgreSQL URL a scratch database is created on that server and dropped afterwards.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import migrate  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import dispose_all, session_factory, utcnow  # noqa: E402
from bot.people.models import Registration  # noqa: E402
from bot.people.registry_import import import_registry  # noqa: E402
from bot.privacy.pii import encrypt, lookup_hash  # noqa: E402

STEPS = ["受理", "评定", "公示", "审核", "制证", "待领取", "已发证", "退回"]
TOWNS = ["昆阳镇", "鳌江", "水头镇", "萧江", "万全镇", "腾蛟镇", "山门镇", "麻步镇"]


SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌辉鹏飞宇浩然晨阳"


def synthetic_name(n: int) -> str:
    return SURNAMES[n % 20] + GIVEN[n // 20 % len(GIVEN)] + GIVEN[n // 800 % len(GIVEN)]


def synthetic_id(n: int) -> str:
    born = dt.date(1940, 1, 1) + dt.timedelta(days=n // 1000 * 400)  # unique with the sequence below
    body = f"330326{born:%Y%m%d}{n % 1000:03d}"
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    check = (12 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


def workbook(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "身份证号", "残疾类别", "残疾等级", "业务类型", "当前环节", "环节日期", "退回原因",
                  "发证日期", "有效期至", "乡镇", "联系电话"])
    for n in range(rows):
        id18 = synthetic_id(n)
        if n % 100 == 99:
            id18 = id18[:17] + ("0" if id18[17] != "0" else "1")  # 1 % bad rows
        step = STEPS[n % len(STEPS)]
        number = id18 + f"{n % 7 + 1}{n % 4 + 1}" if n % 2 else id18
        sheet.append([synthetic_name(n), number, n % 7 + 1, n % 4 + 1, "新办" if n % 3 else "换领", step,
                      dt.date(2026, 1, 1) + dt.timedelta(days=n % 120), "材料不全" if step == "退回" else None,
                      "2016-05-06" if step == "已发证" else None, "2036-05-06" if step == "已发证" else None,
                      TOWNS[n % len(TOWNS)], f"138{n:08d}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def scratch_database(url: str | None):
    if not url or url.startswith("sqlite"):
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        return f"sqlite:///{path}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"wxbot_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=30000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url, drop = scratch_database(args.database_url)
    settings = Settings(database_url=url, knowledge_dir=str(ROOT / "knowledge"))
    try:
        migrate.upgrade(settings)
        sessions = session_factory(url)
        with sessions.begin() as s:  # residents who registered before the import: the notify path runs
            for n in range(0, min(args.rows, 3000), 10):
                s.add(Registration(openid=f"o_bench_{n}", relation="本人",
                      id_hash=lookup_hash(settings.data_key, synthetic_id(n)),
                      id_enc=encrypt(settings.data_key, synthetic_id(n)),
                      name_enc=encrypt(settings.data_key, synthetic_name(n)),
                      phone_enc=encrypt(settings.data_key, f"138{n:08d}"), linked_at=utcnow()))
        started = time.perf_counter()
        data = workbook(args.rows)
        built = time.perf_counter() - started
        runs = {}
        for label in ("first", "again"):
            t0, cpu0 = time.perf_counter(), time.process_time()
            report = import_registry(sessions, settings, data, "bench", filename="bench.xlsx")
            seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            runs[label] = {"seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
                           "rows_per_s": round(args.rows / seconds), **report.counts()}
            print(f"{label:>5}: {args.rows} rows in {seconds:.1f} s = {args.rows / seconds:,.0f} rows/s "
                  f"(this process's CPU {cpu:.1f} s; the rest is the database or a busy machine) — "
                  f"{report.summary()}")
        result = {"rows": args.rows, "backend": url.split(":")[0], "xlsx_mb": round(len(data) / 2**20, 1),
                  "build_s": round(built, 1), **runs}
        suffix = "" if url.startswith("sqlite") else "_postgresql"
        out = ROOT / "benchmarks" / "results" / f"bench_import{suffix}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"target: first import under 60 s — {'OK' if runs['first']['seconds'] < 60 else 'TOO SLOW'}; "
              f"written to {out.relative_to(ROOT)}")
    finally:
        dispose_all()
        if drop:
            drop()


if __name__ == "__main__":
    main()
