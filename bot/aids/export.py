"""The loan sheet staff print or share (openpyxl): every reservation and loan, open ones first.

Names and phones come from the registration (the station calls about overdue devices), so only
editors download it and each download is audited. Cell text is never read as a formula.
"""
from __future__ import annotations

import io

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from bot.aids.models import AidLoan, AidStation
from bot.privacy.audit import audit
from bot.booking.export import _safe
from bot.people import api as people

STATUS = {"reserved": "待取", "picked_up": "借出中", "returned": "已归还", "damaged": "已损坏", "expired": "过期未取",
          "cancelled": "已取消"}
HEADERS = [("借用码", 9), ("辅具", 8), ("驿站", 22), ("乡镇", 10), ("借用人", 10), ("电话", 15), ("状态", 9),
           ("取件截止", 12), ("归还日期", 12), ("备注", 20)]


def loan_sheet(session: Session, data_key: str, actor: str) -> bytes:
    order = case((AidLoan.status == "picked_up", 0), (AidLoan.status == "reserved", 1), else_=2)
    rows = session.execute(select(AidLoan, AidStation).join(AidStation, AidStation.id == AidLoan.station_id)
                           .order_by(order, AidLoan.due, AidLoan.id)).all()
    from openpyxl import Workbook  # why: openpyxl is 10+ MB a worker, for staff files only
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = "辅具借用"
    ws.append([h for h, _w in HEADERS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, (_h, width) in enumerate(HEADERS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    for loan, station in rows:
        person = people.registered_person(session, data_key, loan.openid) if loan.openid != "-" else None
        ws.append([_safe(v) for v in (loan.code, loan.device, station.name, station.town,
                                      person.name if person else "", person.phone if person else "",
                                      STATUS.get(loan.status, loan.status), loan.pickup_by.isoformat(),
                                      loan.due.isoformat() if loan.due else "", loan.note or "")])
    audit(session, actor, "aids.export", None, rows=len(rows))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
