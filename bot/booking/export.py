"""The route sheet staff print or share before a visit day: one Excel file per round (openpyxl).

Rows are sorted by town, then address, so the team drives village by village; cancelled rows go to
a second sheet instead of cluttering the route. Cell text is never read as a formula.
"""
from __future__ import annotations

import io
import logging

from sqlalchemy.orm import Session

from bot.privacy.audit import audit
from bot.booking.models import ACTIVE, AssessmentRound
from bot.booking.rounds import CATEGORIES, WEEKDAYS
from bot.booking.staff import list_bookings

log = logging.getLogger(__name__)
HEADERS = [("序号", 6), ("预约码", 9), ("姓名", 10), ("身份证号（隐去中间）", 22), ("电话", 15), ("乡镇", 10),
           ("地址", 36), ("残疾类别", 9), ("上门原因", 18), ("状态", 10), ("备注", 20), ("评定结果/签字", 16)]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    """A resident's address typed as '=HYPERLINK(…)' must stay text (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _sheet(ws, title: str, rows: list[dict]) -> None:
    from openpyxl.styles import Alignment, Font  # why: openpyxl is 10+ MB a worker, for staff files only
    from openpyxl.utils import get_column_letter

    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([h for h, _w in HEADERS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for i, r in enumerate(rows, 1):
        # "身份未核对" / a duplicate person first: the team checks the ID card at the door.
        note = "；".join(p for p in (r.get("flags"), r["status_reason"]) if p)
        ws.append([_safe(v) for v in (i, r["code"], r["name"], r["id_masked"], r["phone"], r["town"],
                                      r["address"], r["category"], r["reason"], r["status_label"], note, "")])
    for col, (_h, width) in enumerate(HEADERS, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"  # headers on every printed page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1


def route_sheet(session: Session, data_key: str, round_id: int, actor: str) -> bytes:
    """The .xlsx bytes for one round (audited: it holds names, phones and addresses)."""
    rnd = session.get(AssessmentRound, round_id)
    if rnd is None:
        raise LookupError(f"no round {round_id}")
    rows = list_bookings(session, data_key, round_id, actor, audited=False)
    route = [r for r in rows if r["status"] not in ("cancelled", "round_cancelled")]
    dropped = [r for r in rows if r not in route]
    cats = "、".join(CATEGORIES[c] for c in rnd.categories) if rnd.categories else "全部类别"
    title = (f"上门评残路线表  {rnd.date.isoformat()} 星期{WEEKDAYS[rnd.date.weekday()]}  {'、'.join(rnd.towns)}  "
             f"医生组：{rnd.team or '未填'}  类别：{cats}  已约 {sum(r['status'] == ACTIVE for r in rows)}/"
             f"{rnd.capacity}" + ("  【本场已取消】" if rnd.status == "cancelled" else ""))
    from openpyxl import Workbook  # why: openpyxl is 10+ MB a worker, for staff files only
    wb = Workbook()
    ws = wb.active
    ws.title = "路线表"
    _sheet(ws, title, route)
    if dropped:
        _sheet(wb.create_sheet("已取消"), title, dropped)
    out = io.BytesIO()
    wb.save(out)
    audit(session, actor, "booking.export", f"round:{round_id}", rows=len(rows))
    log.info("route sheet for round %s exported by %s (%s rows)", round_id, actor, len(rows))
    return out.getvalue()


def filename(rnd: AssessmentRound) -> str:
    return f"上门评残路线表_{rnd.date.isoformat()}_{'_'.join(rnd.towns)}_{rnd.id}.xlsx"
