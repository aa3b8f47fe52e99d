"""`wxbot certs import FILE`: load the certificate registry export (.xlsx/.csv) from the command line."""
from __future__ import annotations

import csv
import logging
import sys

import click

from bot.cli.common import cli_actor
from bot.config import Settings
from bot.db import session_factory
from bot.people.registry_import import import_registry
from bot.people.rows import BUSINESS_ALIASES, STEP_ALIASES
from bot.people.sheet import ALIASES, SheetError
from bot.people.validation import CATEGORIES, GRADES

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


def _import_help() -> str:
    """The columns and accepted values, read from the validation code so the help never drifts."""

    def accepted(aliases: dict) -> str:
        canonical = list(dict.fromkeys(aliases.values()))
        others = [a for a in aliases if a not in canonical]
        return f"{'/'.join(canonical)}（也认：{'、'.join(others)}）"

    def also(field: str) -> str:
        return "、".join(ALIASES[field][1:4])

    rows = [
        ("姓名 *", f"2–20 个字（表头也认：{also('name')}）"),
        ("身份证号 *", "18 位，末位可为 X（只有残疾人证号时可不填）；请设为“文本”格式，否则 Excel 会改掉后几位"),
        ("残疾人证号", "20 位（身份证号 + 类别 + 等级，补发加 B/B2）；和身份证号至少填一个"),
        ("残疾类别", f"1–7 或 {'/'.join(CATEGORIES.values())}"),
        ("残疾等级", f"1–4 或 {'/'.join(GRADES.values())}"),
        ("业务类型 *", accepted(BUSINESS_ALIASES)),
        ("当前环节 *", accepted(STEP_ALIASES)),
        ("环节日期", "2026-05-06（也认 2026/5/6、2026年5月6日、Excel 日期）；不能晚于今天"),
        ("退回原因", "当前环节是“退回”时请写：群众在公众号里看到它"),
        ("发证日期、有效期至", "日期，写法同上"),
        ("乡镇", "knowledge/towns.yaml 里的乡镇（“鳌江”也认）；不认识的留空并提醒"),
        ("联系电话", "手机 11 位，座机带区号；几个号码用 、或 ；隔开"),
    ]
    table = "\n".join(f"  {name}：{text}" for name, text in rows)
    return ("Import FILE (.xlsx or .csv), the certificate registry export: one row per resident and "
            "business.\n\nGood rows load, bad rows are listed by row number with the reason. "
            "Re-importing is safe (upsert on "
            "ID + 业务类型; an older 环节日期 never overwrites a newer one). Exit status: 0 all rows loaded, "
            "1 some rows refused, 2 the file could not be used.\n\n"
            "\b\n列（* 为必填；表头在前 10 行里，上面可以有标题行；表头名可以有不同写法）：\n" + table
            + "\n\n\b\n示例文件（虚构人物，可直接导入）：knowledge/samples/registry.xlsx\n"
              "重新生成：.venv/bin/python -m bot.devtools.demo_samples")


@certs.command("import", help=_import_help())
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", help="Who imports, for the audit log (default cli:<login name>).")
@click.option("--errors-csv", type=click.Path(dir_okay=False),
              help="Write every refused row and warning to this CSV.")
@click.option("--show", default=50, show_default=True, help="How many problem rows to print.")
def import_cmd(file: str, actor: str | None, errors_csv: str | None, show: int) -> None:
    """Import the registry export (help text: _import_help)."""

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
