"""`wxbot certs import FILE`: load the certificate registry export (.xlsx/.csv) from the command line."""
from __future__ import annotations

import csv
import logging
import sys

import click

from bot.cli_common import cli_actor
from bot.config import Settings

log = logging.getLogger(__name__)


class _Bars:
    """One click progress bar per stage (检查 → 写入), fed by import_registry's progress callback."""

    def __init__(self):
        self.stage, self.bar, self.done = None, None, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=stage, show_pos=True, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.group()
def certs() -> None:
    """残疾人证办理台账：从 Excel/CSV 导入 (certificate registry import)."""


@certs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", help="Who imports, for the audit log (default cli:<login name>).")
@click.option("--errors-csv", type=click.Path(dir_okay=False),
              help="Write every refused row and warning to this CSV.")
@click.option("--show", default=50, show_default=True, help="How many problem rows to print.")
def import_cmd(file: str, actor: str | None, errors_csv: str | None, show: int) -> None:
    """Import FILE (.xlsx or .csv): columns 姓名, 身份证号 or 残疾人证号, 残疾类别, 残疾等级, 业务类型,
    当前环节, 环节日期, 退回原因, 发证日期, 有效期至, 乡镇, 联系电话 (header names may vary).

    Good rows load, bad rows are listed by row number with the reason. Re-importing is safe (upsert on
    ID + 业务类型). Exit status: 0 all rows loaded, 1 some rows refused, 2 the file could not be used.
    """
    from bot.db import session_factory
    from bot.people.registry_import import import_registry
    from bot.people.sheet import SheetError

    settings = Settings.from_env()
    bars = _Bars()
    try:
        report = import_registry(session_factory(settings.database_url), settings, file,
                                 cli_actor(actor), progress=bars)
    except SheetError as exc:
        bars.close()
        click.echo(f"无法导入：{exc}", err=True)
        sys.exit(2)
    bars.close()
    for note in report.notes:
        click.echo(note)
    click.echo(report.summary())
    _print_issues("有错、没有导入的行", report.errors, show)
    _print_issues("提醒（已导入，但请看一下）", report.warnings, show)
    if errors_csv:
        with open(errors_csv, "w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel opens it right
            writer = csv.writer(fh)
            writer.writerow(["行号", "类型", "说明"])
            writer.writerows([i.row, "错误", i.message] for i in report.errors)
            writer.writerows([i.row, "提醒", i.message] for i in report.warnings)
        click.echo(f"全部问题行已写入 {errors_csv}")
    sys.exit(1 if report.errors else 0)


def _print_issues(title: str, issues, show: int) -> None:
    if not issues:
        return
    click.echo(f"{title}（{len(issues)} 行）：")
    for issue in sorted(issues, key=lambda i: i.row)[:show]:
        click.echo(f"  第 {issue.row} 行：{issue.message}")
    if len(issues) > show:
        click.echo(f"  ……还有 {len(issues) - show} 行，用 --errors-csv 导出全部")
