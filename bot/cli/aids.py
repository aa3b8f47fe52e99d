"""`wxbot aids …`: stations, stock and loans of the sharing stations (共享辅具驿站), for scripts and checks.

    wxbot aids station add --town 鳌江镇 --name 鳌江共享辅具驿站      (prints the station id)
    wxbot aids stock --station 1 --type 轮椅 --count 2 --max-days 90
    wxbot aids import stations.xlsx                                 (乡镇, 驿站, 地址, …, 辅具, 数量, 最长天数)
    wxbot aids loans
    wxbot aids mark J2ABCD returned
"""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from bot.aids.importer import import_stock
from bot.aids.models import HOLDING, AidLoan, AidStation
from bot.aids.service import AidError, add_station, set_stock
from bot.aids.service import mark as do_mark
from bot.answers.towns import match_town
from bot.cli.common import cli_actor
from bot.config import Settings
from bot.db import session_factory


def _sessions():
    return session_factory(Settings.from_env().database_url)


def _town(name: str) -> str:
    town = match_town(Settings.from_env().knowledge_dir, name)
    if town is None:
        raise click.BadParameter(f"不认识的乡镇：{name}（见 knowledge/towns.yaml）")
    return town


@click.group("aids")
def aids() -> None:
    """Assistive-device sharing stations (共享辅具驿站): stations, stock, loans."""


@aids.group("station")
def station() -> None:
    """Sharing stations."""


@station.command("add")
@click.option("--town", required=True, help="Town, e.g. 鳌江镇.")
@click.option("--name", required=True, help="e.g. 鳌江共享辅具驿站.")
@click.option("--address", help="Street address (shown to residents; empty: 待公布).")
@click.option("--hours", help="Opening hours, e.g. '工作日 8:30-17:00'.")
@click.option("--phone", help="The station's phone.")
@click.option("--by", help="Who (for the audit log); default cli:<user>.")
def station_add(town, name, address, hours, phone, by) -> None:
    """Add a station and print its id."""
    with _sessions().begin() as session:
        click.echo(add_station(session, _town(town), name, address, hours, phone, actor=cli_actor(by)).id)


@aids.command("stock")
@click.option("--station", "station_id", type=int, required=True, help="Station id.")
@click.option("--type", "device", required=True, help="Device type, e.g. 轮椅, 助行器, 坐便椅, 护理床, 拐杖.")
@click.option("--count", type=click.IntRange(0, 1000), required=True, help="How many the station owns.")
@click.option("--max-days", type=click.IntRange(1, 730), help="Longest loan in days (default 90).")
@click.option("--condition", help="Condition note, e.g. '九成新'.")
@click.option("--by", help="Who (for the audit log); default cli:<user>.")
def stock(station_id, device, count, max_days, condition, by) -> None:
    """Set a station's stock of one device type."""
    try:
        with _sessions().begin() as session:
            row = set_stock(session, station_id, device.strip(), count, max_days, condition, actor=cli_actor(by))
            click.echo(f"{device}：共 {row.count}，可借 {row.available}，最长 {row.max_days} 天")
    except AidError as exc:
        raise click.ClickException({"not_found": f"没有 id 为 {station_id} 的驿站",
                                    "bad_count": "数量少于已借出和已预约的数量"}.get(exc.code, exc.code)) from None


@aids.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", help="Who (for the audit log); default cli:<user>.")
def import_file(path, by) -> None:
    """Stations and stock from an .xlsx or CSV (乡镇, 驿站, 地址, 开放时间, 电话, 辅具, 数量, 最长天数, 成色)."""

    knowledge = Settings.from_env().knowledge_dir
    with _sessions().begin() as session:
        done, problems = import_stock(session, Path(path).read_bytes(), lambda t: match_town(knowledge, t),
                                      cli_actor(by))
    for problem in problems:
        click.echo(problem)
    click.echo(f"已导入 {done} 行" + (f"，有错 {len(problems)} 行" if problems else ""))


@aids.command("loans")
@click.option("--all", "everything", is_flag=True, help="Ended loans too.")
def loans(everything) -> None:
    """List reservations and loans (codes, device, station, status, dates)."""
    with _sessions()() as session:
        query = select(AidLoan, AidStation).join(AidStation, AidStation.id == AidLoan.station_id).order_by(AidLoan.id)
        if not everything:
            query = query.where(AidLoan.status.in_(HOLDING))
        for loan, where in session.execute(query):
            click.echo(f"{loan.code}  {loan.device}  {where.name}  {loan.status}  取件截止:{loan.pickup_by}  "
                       f"归还:{loan.due or '-'}")


@aids.command("mark")
@click.argument("code")
@click.argument("status", type=click.Choice(["picked_up", "returned", "damaged"]))
@click.option("--by", help="Who (for the audit log); default cli:<user>.")
def mark(code, status, by) -> None:
    """Mark a loan picked up, returned or damaged."""
    try:
        with _sessions().begin() as session:
            loan = do_mark(session, code, status, cli_actor(by))
            click.echo(f"{loan.code}：{loan.status}" + (f"，归还日期 {loan.due}" if loan.due else ""))
    except AidError as exc:
        raise click.ClickException({"not_found": f"没有借用码 {code}"}.get(exc.code, f"状态不对：{exc.code}")) from None
