"""`wxbot rounds …`: staff define, list, edit, cancel and export home-assessment rounds (上门评残).

Dates and times are Beijing time. Example:
    wxbot rounds add --date 2026-12-05 --town 鳌江镇 --capacity 8 --towns 萧江镇,麻步镇 --categories 4,7 \\
        --team "肢体评定组" --cutoff-hours 12
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bot.answers.towns import match_town
from bot.booking.export import filename, route_sheet
from bot.booking.models import ACTIVE
from bot.booking.models import AssessmentRound, Booking
from bot.booking.rounds import (CATEGORIES, RoundError, cancel_deadline, cancel_round, create_round,
    edit_round, list_rounds)
from bot.booking.staff import notice_refs
from bot.calls import outlook, tasks
from bot.cli.common import cli_actor, cli_when
from bot.config import Settings
from bot.db import LOCAL_TZ, session_factory

_CATEGORY_NAMES = {"视力": 1, "听力": 2, "言语": 3, "肢体": 4, "智力": 5, "精神": 6, "多重": 7}


def _sessions(settings: Settings):
    return session_factory(settings.database_url)


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from exc


def _towns(settings: Settings, names: list[str]) -> list[str]:
    found = []
    for name in names:
        town = match_town(settings.knowledge_dir, name)
        if town is None:
            raise click.BadParameter(f"不认识的乡镇：{name}（见 knowledge/towns.yaml）")
        found.append(town)
    return list(dict.fromkeys(found))


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").replace("，", ",").replace("、", ",").split(",") if p.strip()]


def _categories(value: str | None) -> list[int] | None:
    if value is None:
        return None
    codes = []
    for part in _split(value):
        code = _CATEGORY_NAMES.get(part) or (int(part) if part.isdigit() else None)
        if code not in range(1, 8):
            raise click.BadParameter(f"残疾类别应为 1–7 或 视力/听力/言语/肢体/智力/精神/多重：{part}")
        codes.append(code)
    return codes


def _line(rnd) -> str:
    cats = "/".join(CATEGORIES[c] for c in rnd.categories) or "全部"
    end = rnd.window_end.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")
    cut = cancel_deadline(rnd).astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")
    state = "" if rnd.status == "open" else f"  [已取消：{rnd.cancel_reason or ''}]"
    return (f"#{rnd.id}  {rnd.date}  {'、'.join(rnd.towns)}  {rnd.booked}/{rnd.capacity}  类别:{cats}  "
            f"医生组:{rnd.team or '-'}  预约截止:{end}  取消截止:{cut}{state}")


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc))


@click.group("rounds")
def rounds() -> None:
    """Home disability-assessment rounds (上门评残场次)."""


@rounds.command("add")
@click.option("--date", "date_", required=True, help="Visit day, YYYY-MM-DD (Beijing time).")
@click.option("--town", required=True, help="Town visited, e.g. 鳌江镇.")
@click.option("--capacity", type=click.IntRange(1, 500), required=True, help="Number of places.")
@click.option("--towns", "more_towns", help="More towns, comma-separated.")
@click.option("--categories", help="Disability categories only (1–7 or names, comma-separated); default all.")
@click.option("--team", help="Doctor team, e.g. 精神科评定组.")
@click.option("--window-start", help="Booking opens (default now).")
@click.option("--window-end", help="Booking closes (default: the cancellation deadline).")
@click.option("--cutoff-hours", type=click.IntRange(0, 24 * 14), default=12, show_default=True,
              help="Cancelling closes this many hours before the visit day's 00:00.")
@click.option("--note", help="Shown to residents, e.g. '上午 9 点起'.")
@click.option("--by", help="Who (for the audit log); default cli:<user>.")
def rounds_add(date_, town, capacity, more_towns, categories, team, window_start, window_end, cutoff_hours,
               note, by) -> None:
    """Create a round."""
    settings = Settings.from_env()
    try:
        with _sessions(settings).begin() as session:
            towns = _towns(settings, [town, *_split(more_towns)])
            rnd = create_round(session, date=_date(date_), towns=towns, capacity=capacity, actor=cli_actor(by),
                               team=team, categories=_categories(categories),
                               window_start=cli_when(window_start), window_end=cli_when(window_end),
                               cutoff_hours=cutoff_hours, note=note)
            click.echo("已创建 " + _line(rnd))
    except RoundError as exc:
        _fail(exc)


@rounds.command("list")
@click.option("--all", "include_past", is_flag=True, help="Include past rounds.")
def rounds_list(include_past: bool) -> None:
    """List rounds (upcoming by default)."""
    with _sessions(Settings.from_env())() as session:
        rows = list_rounds(session, include_past=include_past)
        for rnd in rows:
            click.echo(_line(rnd))
        if not rows:
            click.echo("没有场次。")


@rounds.command("edit")
@click.argument("round_id", type=int)
@click.option("--date", "date_", help="New visit day (booked residents are told).")
@click.option("--capacity", type=click.IntRange(1, 500))
@click.option("--towns", help="Replace the towns, comma-separated.")
@click.option("--categories", help="Replace the categories ('' = all).")
@click.option("--team", help="New doctor team (booked residents are told).")
@click.option("--window-end", help="Booking closes.")
@click.option("--cutoff-hours", type=click.IntRange(0, 24 * 14))
@click.option("--note")
@click.option("--by")
def rounds_edit(round_id, date_, capacity, towns, categories, team, window_end, cutoff_hours, note,
                by) -> None:
    """Change a round."""
    settings = Settings.from_env()
    try:
        with _sessions(settings).begin() as session:
            rnd = edit_round(session, round_id, cli_actor(by), date=_date(date_), capacity=capacity,
                             towns=_towns(settings, _split(towns)) if towns else None,
                             categories=_categories(categories), team=team, window_end=cli_when(window_end),
                             cutoff_hours=cutoff_hours, note=note)
            click.echo("已修改 " + _line(rnd))
            if session.info.get("owed_new"):  # the date or team changed: residents are owed a message
                _told(session, settings, round_id, notice_refs(session, round_id, (ACTIVE,)))
    except RoundError as exc:
        _fail(exc)


@rounds.command("cancel")
@click.argument("round_id", type=int)
@click.option("--reason", required=True, help="Told to every booked resident.")
@click.option("--by")
def rounds_cancel(round_id: int, reason: str, by: str | None) -> None:
    """Cancel a round; booked residents are told through the outbox."""
    settings = Settings.from_env()
    try:
        with _sessions(settings).begin() as session:
            rnd = cancel_round(session, round_id, cli_actor(by), reason)
            click.echo("已取消 " + _line(rnd))
            _told(session, settings, round_id, notice_refs(session, round_id, ("round_cancelled",)))
    except RoundError as exc:
        _fail(exc)


def _told(session, settings: Settings, round_id: int, refs: list[str]) -> None:
    """Truthful counts: queued is not delivered, and what WeChat cannot deliver needs a call."""
    tasks.settle(session, settings.knowledge_dir)
    told = outlook.for_refs(session, refs).values()
    if told:
        click.echo(f"通知 {len(told)} 位预约的居民：{outlook.summary(told)}")
        if outlook.counts(told)[outlook.CALL]:
            click.echo("需电话通知的居民已列入控制台“电话任务”（/admin/calls）。")
        if outlook.counts(told)[outlook.QUEUED]:
            click.echo(f"排队中的由调度程序发送；稍后用 `wxbot rounds notices {round_id}` 查看结果。")


@rounds.command("notices")
@click.argument("round_id", type=int)
def rounds_notices(round_id: int) -> None:
    """Per booking: was the owed message delivered, is it queued, or does it need a call."""
    with _sessions(Settings.from_env())() as session:
        refs = notice_refs(session, round_id)
        told = outlook.for_refs(session, refs)
        for ref in refs:
            if ref in told and ref.startswith("booking:"):
                code = session.get(Booking, int(ref.split(":")[1])).code
                click.echo(f"预约 {code}  {told[ref].what}：{told[ref].label}")
            elif ref in told:
                click.echo(f"候补 #{ref.split(':')[1]}  {told[ref].what}：{told[ref].label}")
        click.echo(f"合计：{outlook.summary(told.values())}" if told else "这个场次没有要发给居民的通知。")


@rounds.command("export")
@click.argument("round_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Default: a name in the current directory.")
@click.option("--by")
def rounds_export(round_id: int, output: Path | None, by: str | None) -> None:
    """Write the Excel route sheet of a round."""
    settings = Settings.from_env()
    with _sessions(settings).begin() as session:
        rnd = session.get(AssessmentRound, round_id)
        if rnd is None:
            _fail(LookupError(f"没有场次 #{round_id}"))
        data = route_sheet(session, settings.data_key, round_id, cli_actor(by))
        target = output or Path(filename(rnd))
    target.write_bytes(data)
    click.echo(f"已导出：{target}")
