"""Import postings from a staff spreadsheet (.xlsx or .csv) with a report line for every row.

Valid rows are saved even when others fail (each in its own savepoint); re-importing the fixed file
is safe because rows are matched by external id. A row without an id gets one derived from
employer + title + town, so re-importing the same sheet updates instead of duplicating.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from bot.jobs.postings import InvalidPosting, save_posting
from bot.jobs.validation import LABELS
from bot.privacy.audit import audit
from bot.answers.normalize import compact
from bot.spreadsheet import csv_rows, find_header
from bot.answers.towns import match_town

log = logging.getLogger(__name__)
MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
_ALIASES = {
    "external_id": "编号 岗位编号 外部编号 id externalid", "title": "岗位 岗位名称 职位 职位名称 招聘岗位 标题 title",
    "employer": "用人单位 单位 单位名称 企业 企业名称 公司 招聘单位 employer", "town": "乡镇 镇 所在乡镇 乡镇街道 town",
    "address": "地址 工作地点 工作地址 地点 address", "positions": "招聘人数 人数 名额 数量 positions",
    "salary": "薪资 工资 薪酬 待遇 月薪 薪资待遇 salary", "working_hours": "工作时间 上班时间 工时 workinghours hours",
    "description": "岗位描述 描述 工作内容 岗位职责 职责 说明 description",
    "requirements": "要求 岗位要求 任职要求 招聘要求 条件 requirements",
    "categories": "适合残疾类别 残疾类别 适合类别 适合对象 类别 categories",
    "accessibility": "无障碍条件 无障碍 无障碍设施 accessibility",
    "kind": "用工形式 就业形式 类型 岗位类型 工作性质 kind",
    "contact_phone": "联系电话 电话 联系方式 手机 phone contactphone",
    "valid_from": "开始日期 发布日期 有效期起 起始日期 validfrom", "source": "来源 信息来源 source",
    "valid_until": "截止日期 有效期至 有效期止 结束日期 截止时间 validuntil",
}
HEADERS = {word: name for name, words in _ALIASES.items() for word in words.split()}
OUTCOME_ZH = {"created": "新增", "updated": "更新", "unchanged": "未变", "error": "错误"}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (type, size, no header row)."""


@dataclass
class RowReport:
    row: int  # as Excel numbers it
    outcome: str  # created | updated | unchanged | error
    external_id: str | None = None
    title: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        what = f"{self.external_id or ''} {self.title or ''}"
        text = f"第 {self.row} 行：{OUTCOME_ZH[self.outcome]} {what}".rstrip()
        problems = self.errors or self.warnings
        if problems:
            text += " —— " + "；".join(f"{LABELS.get(k, k)}：{v}" for k, v in problems.items())
        return text


@dataclass
class ImportReport:
    rows: list[RowReport] = field(default_factory=list)
    blank_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.rows)

    @property
    def ok(self) -> bool:
        return self.count("error") == 0

    def lines(self) -> list[str]:
        out = [r.line() for r in self.rows]
        if self.ignored_columns:
            out.append("未识别的列（已忽略）：" + "、".join(self.ignored_columns))
        out.append(f"合计：新增 {self.count('created')}，更新 {self.count('updated')}，未变 {self.count('unchanged')}，"
                   f"错误 {self.count('error')}，空行 {self.blank_rows}")
        return out


def _header_name(cell) -> str | None:
    text = re.sub(r"[（(].*?[)）]|[*＊]|必填|选填", "", str(cell or ""))
    return HEADERS.get(compact(text))


def _header_columns(cells: list[str]) -> dict[str, int]:
    """field → the first column whose header names it."""
    columns: dict[str, int] = {}
    for col, cell in enumerate(cells):
        name = _header_name(cell)
        if name is not None:
            columns.setdefault(name, col)
    return columns


def read_table(path: Path) -> list[tuple[int, list]]:
    """(row number, cell values) for every row of the first sheet or the CSV file."""
    if path.stat().st_size > MAX_BYTES:
        raise ImportFileError(f"文件超过 {MAX_BYTES // 1024 // 1024} MB / file too large")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            return [(i, list(row)) for i, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1)]
        finally:
            book.close()
    if suffix == ".csv":
        rows = csv_rows(path.read_bytes())
        if rows is None:
            raise ImportFileError("CSV 编码无法识别，请另存为 UTF-8 / unknown CSV encoding")
        return [(i, list(row)) for i, row in enumerate(rows, 1)]
    raise ImportFileError("只能导入 .xlsx 或 .csv 文件 / only .xlsx and .csv files")


def _blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def parse_rows(table: list[tuple[int, list]]) -> tuple[list[tuple[int, dict]], int, list[str]]:
    """Find the header row (a title row above it is fine), then map each row to field → value."""
    index, columns, _count = find_header([cells for _n, cells in table], _header_columns, two_rows=False,
                                         first_with=2)
    if index < 0:
        raise ImportFileError("前 10 行里找不到表头（如：岗位名称、用人单位、联系电话）/ no header row found")
    cells = table[index][1]
    names = [_header_name(c) for c in cells]
    ignored = [str(c).strip() for c, n in zip(cells, names) if n is None and not _blank([c])]
    rows, blank = [], 0
    for number, row in table[index + 1:]:
        if _blank(row):
            blank += 1
            continue
        values = {}
        for name, cell in zip(names, row):
            if name and name not in values:
                values[name] = cell
        rows.append((number, values))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行 / at most {MAX_ROWS} rows")
    return rows, blank, ignored


def derived_id(values: dict, knowledge_dir: str) -> str:
    """A stable id for rows without one: the same employer, title and town is the same posting."""
    town = str(values.get("town") or "")
    parts = (values.get("employer"), values.get("title"), match_town(knowledge_dir, town) or town)
    key = "|".join(compact(str(p or "")) for p in parts)
    return "imp-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id typed as a number comes back as 1001.0
    return str(value if value is not None else "").strip()


def import_rows(session: Session, rows: list[tuple[int, dict]], *, actor: str, knowledge_dir: str,
                dry_run: bool = False) -> ImportReport:
    report, seen = ImportReport(), {}
    for number, values in rows:
        ext = _cell_text(values.get("external_id")) or derived_id(values, knowledge_dir)
        title = " ".join(str(values.get("title") or "").split()) or None
        if ext in seen:
            report.rows.append(RowReport(number, "error", ext, title, {
                "external_id": f"与第 {seen[ext]} 行重复 / duplicate of row {seen[ext]}"}))
            continue
        seen[ext] = number
        savepoint = session.begin_nested()  # a bad row leaves no trace; the good ones stay
        try:
            saved = save_posting(session, {**values, "external_id": ext}, actor=actor,
                                 knowledge_dir=knowledge_dir, strict=False)
        except InvalidPosting as exc:
            savepoint.rollback()
            report.rows.append(RowReport(number, "error", ext, title, exc.errors, exc.warnings))
            continue
        except Exception:
            savepoint.rollback()
            raise
        report.rows.append(RowReport(number, saved.outcome, ext, saved.posting.title,
                                     warnings=saved.warnings))
        savepoint.rollback() if dry_run else savepoint.commit()
    return report


def import_file(session: Session, path: str | Path, *, actor: str, knowledge_dir: str,
                dry_run: bool = False) -> ImportReport:
    """Read, validate and save every row; the caller commits (the CLI and the console do)."""
    rows, blank, ignored = parse_rows(read_table(Path(path)))
    report = import_rows(session, rows, actor=actor, knowledge_dir=knowledge_dir, dry_run=dry_run)
    report.blank_rows, report.ignored_columns = blank, ignored
    if not dry_run:
        audit(session, actor, "jobs.import", Path(path).name[:100], created=report.count("created"),
              updated=report.count("updated"), errors=report.count("error"))
    log.info("job import %s by %s: %s", Path(path).name, actor, report.lines()[-1])
    return report
