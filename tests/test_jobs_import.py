"""`wxbot jobs import`: dirty staff spreadsheets, a report line per row, idempotent re-imports."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.db import LOCAL_TZ
from bot.jobs.import_file import import_file
from bot.jobs.models import JobPosting

TODAY = dt.datetime.now(LOCAL_TZ).date()
IN_30 = TODAY + dt.timedelta(days=30)
IN_90 = TODAY + dt.timedelta(days=90)


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def dirty_sheet(path):
    book = Workbook()
    ws = book.active
    ws.append(["平阳县残联 残疾人就业岗位表（请勿改表头）"])  # a title row above the header
    ws.append(["编号", "岗位名称（必填）", " 用人单位 ", "乡镇", "招聘人数", "适合残疾类别", "用工形式", "联系电话",
               "开始日期", "截止日期", "备注"])
    ws.append(["J-1", "包装工  ", "平阳包装厂 ", "鳌江", "3人", "听力、言语", "全职", 13800000000,
               serial(TODAY), f"{IN_30:%Y/%m/%d}", "内部备注"])  # serial date, text date, phone as a number
    ws.append([])  # row 4 blank
    ws.append(["J-2", "电商客服", "网店", "萧江镇", "若干", "肢体", "居家", "0577-63661234 ",
               dt.datetime.combine(TODAY, dt.time()), f"{IN_90.year}年{IN_90.month}月{IN_90.day}日"])
    # no title, no phone
    ws.append(["J-3", "", "某厂", "水头", None, None, None, None, None, f"{IN_30:%Y-%m-%d}"])
    ws.append(["J-4", "保安", "某厂", "昆阳", 2, "盲", "全职", "abc", None, serial(IN_30)])  # bad phone
    ws.append(["   ", None, "  "])  # row 8: only spaces
    ws.append(["J-5", "保洁", "某物业", "水头", "", "外星人", "兼职", "13900000000", str(serial(TODAY)),
               f"{IN_30:%Y%m%d}"])  # unknown category
    ws.append([None, "仓库管理员", "某物流", "鳌江", 1, "不限", "", "13700000000", None, None])  # no id, no dates
    ws.append(["J-1", "包装工", "平阳包装厂", "鳌江", 3, "听力", "全职", "13800000000", None, serial(IN_30)])
    book.save(path)
    return path


def run_import(services, path, **kw):
    with services.sessions.begin() as s:
        return import_file(s, path, actor="test", knowledge_dir=services.settings.knowledge_dir, **kw)


def test_dirty_spreadsheet_reports_every_row_and_saves_the_good_ones(services, tmp_path):
    report = run_import(services, dirty_sheet(tmp_path / "岗位.xlsx"))
    outcomes = {r.row: r.outcome for r in report.rows}
    assert outcomes == {3: "created", 5: "created", 6: "error", 7: "error", 9: "error", 10: "created",
                        11: "error"}
    errors = {r.row: r.errors for r in report.rows}
    assert set(errors[6]) == {"title", "contact_phone"} and set(errors[7]) == {"contact_phone"}
    assert set(errors[9]) == {"categories"} and "第 3 行" in errors[11]["external_id"]
    assert report.blank_rows == 2 and report.ignored_columns == ["备注"]
    assert "岗位名称" in report.rows[2].line() and " / " in report.rows[2].line()
    assert report.lines()[-1] == "合计：新增 3，更新 0，未变 0，错误 4，空行 2"
    with services.sessions() as s:
        j1 = s.scalar(select(JobPosting).where(JobPosting.external_id == "J-1"))
        j2 = s.scalar(select(JobPosting).where(JobPosting.external_id == "J-2"))
        store = s.scalar(select(JobPosting).where(JobPosting.title == "仓库管理员"))
    assert (j1.title, j1.employer, j1.town, j1.positions, j1.contact_phone) == (
        "包装工", "平阳包装厂", "鳌江镇", 3, "13800000000")
    assert (j1.categories, j1.valid_from, j1.valid_until) == (["听力", "言语"], TODAY, IN_30)
    assert (j2.kind, j2.positions, j2.valid_until, j2.contact_phone) == ("居家就业", None, IN_90, "0577-63661234")
    assert store.external_id.startswith("imp-") and len(store.categories) == 7 and store.kind == "全职"
    assert store.valid_until == TODAY + dt.timedelta(days=60)


def test_reimporting_the_same_file_changes_nothing_and_never_duplicates(services, tmp_path):
    path = dirty_sheet(tmp_path / "岗位.xlsx")
    run_import(services, path)
    again = run_import(services, path)
    assert again.lines()[-1] == "合计：新增 0，更新 0，未变 3，错误 4，空行 2"
    with services.sessions() as s:
        assert s.scalar(select(func.count(JobPosting.id))) == 3


def test_gbk_csv_from_excel_and_dry_run(services, tmp_path):
    path = tmp_path / "jobs.csv"
    path.write_bytes(f"岗位名称,用人单位,联系电话,截止日期\n手工编织,青街编织社,0577-1234567,{IN_30:%Y.%m.%d}\n"
                     .encode("gb18030"))
    dry = run_import(services, path, dry_run=True)
    assert [r.outcome for r in dry.rows] == ["created"]
    with services.sessions() as s:
        assert s.scalar(select(func.count(JobPosting.id))) == 0
    assert [r.outcome for r in run_import(services, path).rows] == ["created"]
    with services.sessions() as s:
        assert s.scalar(select(JobPosting.valid_until)) == IN_30


@pytest.fixture
def cli_env(settings):
    return {"DATABASE_URL": settings.database_url, "KNOWLEDGE_DIR": settings.knowledge_dir}


def test_cli_import_prints_the_report_and_fails_when_a_row_failed(services, tmp_path, cli_env):
    from bot.cli.main import cli
    path = dirty_sheet(tmp_path / "岗位.xlsx")
    result = CliRunner().invoke(cli, ["jobs", "import", str(path)], env=cli_env)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("第 3 行：新增 J-1 包装工") and lines[-1].startswith("合计：新增 3")
    listing = CliRunner().invoke(cli, ["jobs", "list"], env=cli_env)
    assert listing.exit_code == 0 and "J-1" in listing.output
    withdrawn = CliRunner().invoke(cli, ["jobs", "withdraw", "J-1"], env=cli_env)
    assert withdrawn.exit_code == 0 and "J-1" in withdrawn.output
    with services.sessions() as s:
        assert s.scalar(select(JobPosting.status).where(JobPosting.external_id == "J-1")) == "withdrawn"


def test_cli_rejects_other_file_types(tmp_path, cli_env):
    from bot.cli.main import cli
    path = tmp_path / "jobs.txt"
    path.write_text("岗位名称,用人单位\n")
    result = CliRunner().invoke(cli, ["jobs", "import", str(path)], env=cli_env)
    assert result.exit_code != 0 and ".xlsx" in result.output
