"""`wxbot aids …` as staff run it: a station, its stock, the loans list and marks."""
from __future__ import annotations

from click.testing import CliRunner

from bot.aids import service
from bot.cli.main import cli


def _run(*args, ok=True):
    result = CliRunner().invoke(cli, ["aids", *args])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_station_stock_loans_and_marks(database_url, services, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    station_id = _run("station", "add", "--town", "鳌江", "--name", "鳌江共享辅具驿站").strip()
    assert station_id.isdigit()
    assert "共 2，可借 2，最长 60 天" in _run("stock", "--station", station_id, "--type", "轮椅", "--count", "2",
                                            "--max-days", "60")
    with services.sessions.begin() as s:
        stock_id = service.choices(s, "鳌江镇", "轮椅")[0][1].id
        code = service.reserve(s, stock_id, "o_cli", "wx:o_cli").code
    assert code in _run("loans") and "reserved" in _run("loans")
    assert "归还日期" in _run("mark", code, "picked_up")
    assert "returned" in _run("mark", code, "returned")
    assert code not in _run("loans") and code in _run("loans", "--all")
    assert "没有借用码" in _run("mark", "JNOPE1", "returned", ok=False)
    assert "可借 1" in _run("stock", "--station", station_id, "--type", "轮椅", "--count", "1")
    assert "没有 id" in _run("stock", "--station", "999", "--type", "轮椅", "--count", "1", ok=False)


def test_import_stations_and_stock_from_a_spreadsheet(database_url, services, monkeypatch, tmp_path):
    from tests.test_people_helpers import workbook
    monkeypatch.setenv("DATABASE_URL", database_url)
    header = ["乡镇", "驿站", "地址", "开放时间", "电话", "辅具", "数量", "最长天数"]
    rows = [["鳌江", "鳌江共享辅具驿站", "府前路 1 号", "工作日 8:30-17:00", "", "轮椅", 3, 60],
            ["鳌江镇", "鳌江共享辅具驿站", "", "", "", "助行器", 2, ""],
            ["火星", "不存在驿站", "", "", "", "轮椅", 1, ""]]
    path = tmp_path / "stations.xlsx"
    path.write_bytes(workbook(rows, header=header, title="共享辅具驿站库存"))
    out = _run("import", str(path))
    assert "已导入 2 行，有错 1 行" in out and "第 5 行" in out
    with services.sessions() as s:
        [(station, chairs)] = service.choices(s, "鳌江镇", "轮椅")
        assert station.address == "府前路 1 号" and (chairs.count, chairs.max_days) == (3, 60)
        assert service.choices(s, "鳌江镇", "助行器")[0][1].available == 2
    assert "已导入 2 行" in _run("import", str(path))  # again: the same station, stock set, not added
    with services.sessions() as s:
        assert len(service.choices(s, "鳌江镇", "轮椅")) == 1
