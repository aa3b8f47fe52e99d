"""`wxbot rounds …` as staff run it: add, list, edit, cancel (residents told), export."""
from __future__ import annotations

import io

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from bot.booking import service
from bot.booking.models import AssessmentRound
from bot.cli.main import cli
from tests.test_booking_support import active, outbox_texts, visit_day


def _run(*args):
    result = CliRunner().invoke(cli, ["rounds", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_rounds_add_list_edit_cancel_export(database_url, services, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    day = visit_day(6).isoformat()
    out = _run("add", "--date", day, "--town", "鳌江", "--capacity", "4", "--towns", "萧江镇,麻步",
               "--categories", "肢体,7", "--team", "肢体评定组", "--cutoff-hours", "24", "--note", "上午 9 点起",
               "--by", "staff:li")
    assert "鳌江镇、萧江镇、麻步镇" in out and "0/4" in out and "肢体/多重" in out
    with services.sessions() as s:
        rnd = s.scalar(select(AssessmentRound))
        assert rnd.categories == [4, 7] and rnd.cutoff_hours == 24 and rnd.created_by == "staff:li"
    key = services.settings.data_key
    with services.sessions.begin() as s:
        service.book(s, rnd.id, "o_cli", service.Details(
            resident_key="wx:o_cli", name="赵六", id_masked="3303**********1234", phone="13800002222",
            address="鳌江镇 3 号", town="鳌江镇", category=4, reason="immobile"), key)
    assert day in _run("list")
    assert "第二组" in _run("edit", str(rnd.id), "--team", "第二组", "--capacity", "6")
    sheet = tmp_path / "r.xlsx"
    assert "已导出" in _run("export", str(rnd.id), "-o", str(sheet))
    ws = load_workbook(io.BytesIO(sheet.read_bytes()))["路线表"]
    assert ws.cell(row=3, column=3).value == "赵六"
    assert "已取消" in _run("cancel", str(rnd.id), "--reason", "下雪路滑")
    assert active(services) == 0
    assert any("下雪路滑" in t for t in outbox_texts(services, "o_cli"))


def test_bad_input_is_refused_in_chinese(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    bad_town = runner.invoke(cli, ["rounds", "add", "--date", visit_day(3).isoformat(), "--town", "火星",
                                   "--capacity", "3"])
    assert bad_town.exit_code != 0 and "不认识的乡镇" in bad_town.output
    past = runner.invoke(cli, ["rounds", "add", "--date", "2020-01-01", "--town", "鳌江镇", "--capacity", "3"])
    assert past.exit_code != 0 and "日期已经过去了" in past.output
    assert runner.invoke(cli, ["rounds", "cancel", "999", "--reason", "x"]).exit_code != 0
