"""One registry row → a checked record or every reason it was refused (row numbers as in Excel)."""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, fields

from bot.people.models import BUSINESS_TYPES, STEPS
from bot.people.validation import (CATEGORIES, GRADES, Invalid, clean, parse_code, parse_date,
                                   parse_identity, parse_name, parse_phones)

BUSINESS_ALIASES = {
    "新办": "新办", "新申请": "新办", "首次申领": "新办", "新证": "新办", "申领": "新办",
    "换领": "换领", "换证": "换领", "到期换证": "换领", "到期换领": "换领", "换发": "换领",
    "补办": "补办", "补证": "补办", "挂失补办": "补办", "补发": "补办", "挂失补发": "补办",
    "迁移": "迁移", "迁入": "迁移", "迁出": "迁移", "户口迁移": "迁移",
    "注销": "注销", "变更": "变更", "等级变更": "变更", "类别变更": "变更", "信息变更": "变更",
}
STEP_ALIASES = {
    "受理": "受理", "已受理": "受理", "申请": "受理",
    "评定": "评定", "评残": "评定", "待评定": "评定", "评定中": "评定", "已评定": "评定",
    "公示": "公示", "公示中": "公示",
    "审核": "审核", "审核中": "审核", "审批": "审核", "待审核": "审核",
    "制证": "制证", "制证中": "制证", "审核通过": "制证",
    "待领取": "待领取", "待领证": "待领取", "可领取": "待领取", "已制证": "待领取", "待发证": "待领取",
    "已发证": "已发证", "已领取": "已发证", "已领证": "已发证", "发证": "已发证", "办结": "已发证",
    "已办结": "已发证", "退回": "退回", "已退回": "退回", "被退回": "退回", "退件": "退回",
}
assert set(BUSINESS_ALIASES.values()) == set(BUSINESS_TYPES) and set(STEP_ALIASES.values()) == set(STEPS)


@dataclass(frozen=True)
class Parsed:
    row: int
    id_number: str
    cert_number: str | None
    name: str
    category: int | None
    grade: int | None
    business_type: str
    step: str
    step_date: dt.date | None
    return_reason: str | None
    issued_on: dt.date | None
    valid_until: dt.date | None
    town: str | None
    phone: str | None

    @property
    def key(self) -> tuple[str, str]:
        return self.id_number, self.business_type

    def canonical(self) -> str:
        """The content that decides whether a stored record changed (row number excluded)."""
        values = [getattr(self, name) for name in _CONTENT]  # asdict() is slow at 30 000 rows
        return json.dumps(values, ensure_ascii=False, default=dt.date.isoformat)


_CONTENT = [f.name for f in fields(Parsed) if f.name != "row"]


def parse_row(number: int, cells: tuple, columns: dict[str, int],
              match_town) -> tuple[Parsed | None, list, list]:
    """(record or None, errors, warnings) for one row; every problem of the row is listed."""
    def cell(field):
        index = columns.get(field)
        return cells[index] if index is not None and index < len(cells) else None

    errors, warnings = [], []

    def attempt(label, fn, *args):
        try:
            return fn(*args)
        except Invalid as exc:
            errors.append(f"{label}：{exc}" if label else str(exc))
            return None

    name = attempt("", parse_name, cell("name"))  # the messages below name their field already
    id_number, cert_number = _identity(cell("id_number"), cell("cert_number"), errors)
    category = attempt("", parse_code, cell("category"), CATEGORIES, "残疾类别")
    grade = attempt("", parse_code, cell("grade"), GRADES, "残疾等级")
    if cert_number:  # the certificate number encodes category and grade: they must agree
        for label, given, digit in (("残疾类别", category, cert_number[18]), ("残疾等级", grade, cert_number[19])):
            if given is not None and given != int(digit):
                errors.append(f"{label}（{given}）和残疾人证号里的代码（{digit}）不一致")
        category = category or int(cert_number[18])
        grade = grade or int(cert_number[19])
    business = _choice(cell("business_type"), BUSINESS_ALIASES, "业务类型", errors)
    step = _choice(cell("step"), STEP_ALIASES, "当前环节", errors)
    step_date = attempt("", parse_date, cell("step_date"), "环节日期")
    issued_on = attempt("", parse_date, cell("issued_on"), "发证日期")
    valid_until = attempt("", parse_date, cell("valid_until"), "有效期至")
    phone = attempt("联系电话", parse_phones, cell("phone"))
    reason = clean(cell("return_reason")) or None
    if step == "退回" and not reason:
        warnings.append("环节是“退回”但没有写退回原因，群众会被请来电询问")
    town_text = clean(cell("town"))
    town = match_town(town_text) if town_text else None
    if town_text and town is None:
        warnings.append(f"乡镇“{town_text}”不在乡镇名单里，已留空")
    if step_date and step_date > dt.date.today() + dt.timedelta(days=1):
        errors.append(f"环节日期 {step_date} 在今天之后")
    if errors:
        return None, errors, warnings
    return Parsed(number, id_number, cert_number, name, category, grade, business, step, step_date,
                  reason, issued_on, valid_until, town, phone), errors, warnings


def _identity(id_cell, cert_cell, errors: list) -> tuple[str | None, str | None]:
    found = []
    for label, value in (("身份证号", id_cell), ("残疾人证号", cert_cell)):
        if value is None or clean(value) == "":
            continue
        try:
            found.append(parse_identity(value))
        except Invalid as exc:
            errors.append(f"{label}：{exc}")
            return None, None
    if not found:
        errors.append("身份证号和残疾人证号都没有填")
        return None, None
    id_number = found[0][0]
    if any(other[0] != id_number for other in found[1:]):
        errors.append("残疾人证号的前 18 位和身份证号不一致")
        return None, None
    cert = next((c for _i, c in found if c), None)
    return id_number, cert


def _choice(value, aliases: dict[str, str], label: str, errors: list) -> str | None:
    text = re.sub(r"\s+", "", clean(value))
    if not text:
        errors.append(f"{label}没有填")
        return None
    if text in aliases:
        return aliases[text]
    errors.append(f"{label}看不懂：{text}（可填：{'/'.join(dict.fromkeys(aliases.values()))}）")
    return None
