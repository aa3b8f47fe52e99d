"""Reads a registry export (.xlsx or .csv) into rows keyed by field, tolerating how staff's Excel looks.

Headers are found in the first rows (a merged title row above is skipped) and may span two rows
(a merged "残疾情况" over "类别"/"等级"). Header text is matched after removing spaces, brackets and
"*" marks against the aliases below.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.people.validation import clean
from bot import spreadsheet
from bot.spreadsheet import csv_rows

HEADER_SCAN_ROWS = 10
ALIASES = {
    "name": ("姓名", "名字", "残疾人姓名", "持证人姓名", "申请人姓名", "申请人"),
    "id_number": ("身份证号", "身份证号码", "身份证", "公民身份号码", "身份号码", "证件号码"),
    "cert_number": ("残疾人证号", "残疾证号", "残疾人证号码", "残疾证号码", "证号", "残疾人证编号"),
    "category": ("残疾类别", "类别", "残疾类型", "残疾种类", "残疾类别代码"),
    "grade": ("残疾等级", "等级", "残疾级别", "级别", "残疾等级代码"),
    "business_type": ("业务类型", "业务", "办理类型", "办理事项", "事项", "业务种类", "申请类型"),
    "step": ("当前环节", "环节", "办理环节", "当前状态", "状态", "进度", "办理进度", "办理状态"),
    "step_date": ("环节日期", "日期", "环节时间", "状态日期", "办理日期", "更新日期"),
    "return_reason": ("退回原因", "原因", "退回理由"),
    "issued_on": ("发证日期", "发证时间", "领证日期"),
    "valid_until": ("有效期至", "有效期", "有效期限", "到期日期", "有效期截止", "有效期截止日期"),
    "town": ("乡镇", "乡镇街道", "所在乡镇", "镇", "户籍乡镇", "乡镇名称", "所属乡镇"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码"),
}
LABELS = {f: names[0] for f, names in ALIASES.items()}
_LOOKUP = {alias: f for f, names in ALIASES.items() for alias in names}
REQUIRED = (("name",), ("id_number", "cert_number"), ("business_type",), ("step",))


class SheetError(ValueError):
    """The file as a whole cannot be read (no header, missing columns, unknown format)."""


@dataclass
class Table:
    columns: dict[str, int]  # field → column index
    rows: list[tuple[int, tuple]]  # (row number as staff see it, cell values)
    notes: list[str] = field(default_factory=list)


def header_key(text) -> str:
    text = re.sub(r"[（(【\[].*?[)）】\]]", "", clean(text))
    return re.sub(r"[\s*＊:：]", "", text).replace("身份证号/残疾人证号", "身份证号")


def _match(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = header_key(cell)
        fld = _LOOKUP.get(key)
        if fld is None and "身份证" in key and "残疾" in key:  # "身份证号或残疾人证号"
            fld = "id_number"
        if fld is not None and fld not in found:
            found[fld] = index
    return found


def find_header(rows: list[tuple]) -> tuple[int, dict[str, int], int]:
    """(index of the last header row, field → column, header row count) for the best candidate."""
    return spreadsheet.find_header(rows, _match, scan_rows=HEADER_SCAN_ROWS, text=clean)


def read_table(source, filename: str | None = None) -> Table:
    """Rows after the header of the first sheet that has one; blank rows are dropped."""
    data, name = _bytes(source, filename)
    is_zip = data[:4] == b"PK\x03\x04"
    if not is_zip and (name.lower().endswith((".xls", ".et")) or data[:4] == b"\xd0\xcf\x11\xe0"):
        raise SheetError("不支持老的 .xls 格式，请在 Excel 里“另存为” .xlsx 后再导入")
    sheets = _xlsx_sheets(data) if is_zip else [("CSV", _csv_rows(data))]
    for sheet_name, rows in sheets:
        last, columns, count = find_header(rows[:HEADER_SCAN_ROWS + 1])
        if len(columns) < 3:
            continue
        missing = [" 或 ".join(LABELS[f] for f in group) for group in REQUIRED
                   if not any(f in columns for f in group)]
        if missing:
            raise SheetError(f"工作表“{sheet_name}”缺少必需的列：{'、'.join(missing)}")
        body = [(n + 1, r) for n, r in enumerate(rows) if n > last and any(clean(v) for v in r)]
        where = f"第 {last + 1} 行" if count == 1 else f"第 {last}–{last + 1} 行"
        return Table(columns=columns, rows=body, notes=[f"使用工作表“{sheet_name}”，表头在{where}"])
    raise SheetError("没有找到表头：需要“姓名”“身份证号”“业务类型”“当前环节”等列")


def _bytes(source, filename) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), filename or ""
    if hasattr(source, "read"):
        return source.read(), filename or getattr(source, "name", "") or ""
    path = Path(source)
    return path.read_bytes(), filename or path.name


def _xlsx_sheets(data: bytes):
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a broken zip, a password-protected file, …
        raise SheetError(f"打不开这个 Excel 文件（{exc.__class__.__name__}），请另存为 .xlsx 再试") from exc
    try:
        ordered = [book.active] + [ws for ws in book.worksheets if ws is not book.active]
        for ws in ordered:
            ws.reset_dimensions()  # some exporters write a wrong dimension; read every row
            yield ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[tuple]:
    rows = csv_rows(data)
    if rows is None:
        raise SheetError("CSV 文件的编码看不懂，请用 UTF-8 或 GBK 保存")
    return rows
