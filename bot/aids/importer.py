"""Stations and stock from a staff spreadsheet (.xlsx or CSV): one row per station and device type.

Columns (a title row above is fine): 乡镇, 驿站, 地址, 开放时间, 电话, 辅具, 数量, 最长天数, 成色. A station
is found by town + name (created when new; address, hours, phone filled when given); the stock is set
as `wxbot aids stock` does. Bad rows are reported by row number and skipped.
"""
from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.aids import service
from bot.aids.models import AidStation
from bot.spreadsheet import csv_rows, find_header

FIELDS = {"town": ("乡镇", "镇"), "name": ("驿站", "名称", "站点"), "address": ("地址",), "hours": ("开放时间", "时间"),
          "phone": ("电话", "联系电话"), "device": ("辅具", "种类", "类型"), "count": ("数量", "台数", "件数"),
          "max_days": ("最长天数", "借期", "最长借用"), "condition": ("成色", "状况", "备注")}


def _columns(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for col, cell in enumerate(cells):
        for field, words in FIELDS.items():
            if field not in found and any(w in cell for w in words):
                found[field] = col
                break
    return found


def _rows(data: bytes) -> list[tuple]:
    rows = csv_rows(data) if not data.startswith(b"PK") else None
    if rows is not None:
        return rows
    from openpyxl import load_workbook  # why: openpyxl is 10+ MB a worker, for staff files only
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def import_stock(session: Session, data: bytes, match_town, actor: str) -> tuple[int, list[str]]:
    """(rows applied, problems as '第 N 行：…'); match_town(text) → a town name or None."""
    rows = _rows(data)
    header, cols, _n = find_header(rows, _columns, two_rows=False)
    if header < 0 or not {"town", "name", "device", "count"} <= set(cols):
        return 0, ["没有找到表头：需要 乡镇、驿站、辅具、数量 这几列"]
    done, problems = 0, []
    for number, row in enumerate(rows[header + 1:], header + 2):
        cell = {f: ("" if c >= len(row) or row[c] is None else str(row[c]).strip()) for f, c in cols.items()}
        if not any(cell.values()):
            continue
        town = match_town(cell["town"])
        count, days = cell["count"].removesuffix(".0"), cell.get("max_days", "").removesuffix(".0")
        if town is None or not cell["name"] or not cell["device"] or not count.isdigit() \
                or (days and not days.isdigit()):
            problems.append(f"第 {number} 行：乡镇、驿站、辅具或数量不对")
            continue
        station = session.scalar(select(AidStation).where(AidStation.town == town, AidStation.name == cell["name"]))
        if station is None:
            station = service.add_station(session, town, cell["name"], actor=actor)
        for field in ("address", "hours", "phone"):
            if cell.get(field):
                setattr(station, field, cell[field][:100])
        try:
            with session.begin_nested():
                service.set_stock(session, station.id, cell["device"][:16], int(count), int(days) if days else None,
                                  cell.get("condition") or None, actor=actor)
        except service.AidError:
            problems.append(f"第 {number} 行：数量少于已借出和已预约的数量")
            continue
        done += 1
    return done, problems
