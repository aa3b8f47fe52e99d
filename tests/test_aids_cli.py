"""`wxbot aids …` as staff run it: a station, its stock, the loans list and marks."""
from __future__ import annotations

from click.testing import CliRunner

from bot.aids import service
from bot.cli import cli


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
