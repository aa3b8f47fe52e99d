"""Helpers for the people tests: synthetic ID numbers, registry workbooks, a registration walk-through.

ID numbers are made up (region 330326 = 平阳县, sequence numbers chosen here) with the GB 11643 check
digit computed independently of bot.people.validation — never real people's numbers.
"""
from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from bot.people.registry_import import import_registry

HEADER = ["姓名", "身份证号", "残疾类别", "残疾等级", "业务类型", "当前环节", "环节日期", "退回原因",
          "发证日期", "有效期至", "乡镇", "联系电话"]


def make_id(seq: int = 123, born: str = "19800101", region: str = "330326") -> str:
    body = f"{region}{born}{seq:03d}"
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # the standard's definition, not the table
    check = (12 - sum(int(d) * w for d, w in zip(body, weights)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


def make_x_id() -> str:
    """A synthetic ID whose check digit is X (the case Excel number cells destroy)."""
    return next(i for i in (make_id(seq) for seq in range(1, 999)) if i.endswith("X"))


def wrong_check(id18: str) -> str:
    return id18[:17] + ("0" if id18[17] != "0" else "1")


def record(name="张三", id_number=None, category=4, grade=2, business="新办", step="受理", step_date="2026-05-06",
           reason="", issued="", valid="", town="鳌江镇", phone="13812345678") -> list:
    return [name, id_number or make_id(), category, grade, business, step, step_date, reason, issued, valid,
            town, phone]


def workbook(rows: list[list], header: list[str] | None = None, title: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header or HEADER))
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load(services, rows, actor="test", **kwargs):
    """Import rows (lists in HEADER order) as an .xlsx through the public import function."""
    return import_registry(services.sessions, services.settings, workbook(rows), actor, filename="t.xlsx",
                           **kwargs)


def register(chat, name="张三", id_number=None, phone="13812345678", town="鳌江", relation=("1",), openid=None,
             start="注册"):
    """Walk the registration chat ("重新注册" when already registered); returns the last reply."""
    chat(start, openid=openid)
    for said in relation:
        chat(said, openid=openid)
    chat(name, openid=openid)
    chat(id_number or make_id(), openid=openid)
    chat(phone, openid=openid)
    return chat(town, openid=openid)


def outbox(services, openid=None):
    from bot.models import OutboxMessage
    with services.sessions() as s:
        query = select(OutboxMessage)
        if openid:
            query = query.where(OutboxMessage.openid == openid)
        return list(s.scalars(query.order_by(OutboxMessage.id)))


def test_helpers_make_valid_ids():
    from bot.people.validation import parse_identity
    assert parse_identity(make_id())[0] == make_id()
    assert make_x_id().endswith("X") and parse_identity(make_x_id().lower())[0] == make_x_id()
