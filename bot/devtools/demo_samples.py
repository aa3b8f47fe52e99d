"""Fictional sample rows (registry, jobs) for the demo and knowledge/samples/*.xlsx.

Regenerate the files: python -m bot.devtools.demo_samples.

Every person is made up: ID numbers use area code 330399, which no county has, with a correct GB 11643
check digit, so they pass the real import checks and can never be a real resident's number.
Phones are 1380000xxxx/0577-0000xxxx placeholders, employers are marked （示例）.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from bot.config import ROOT
from bot.people.validation import check_digit

SAMPLE_AREA = "330399"  # no county uses it: the console marks these records 示例
REGISTRY_HEADER = ("姓名", "身份证号", "残疾人证号", "残疾类别", "残疾等级", "业务类型", "当前环节", "环节日期",
                   "退回原因", "发证日期", "有效期至", "乡镇", "联系电话")
JOBS_HEADER = ("编号", "岗位名称", "用人单位", "乡镇", "工作地点", "招聘人数", "薪资", "工作时间", "岗位描述",
               "适合残疾类别", "无障碍条件", "用工形式", "联系电话", "截止日期")


def sample_id(born: str, seq: str) -> str:
    """An 18-digit ID in area 330399: born YYYYMMDD, seq 3 digits (odd last digit = male)."""
    first17 = SAMPLE_AREA + born + seq
    return first17 + check_digit(first17)


def is_sample(number: str | None) -> bool:
    """True for the demo's fictional ID or certificate numbers (console shows 示例)."""
    return bool(number) and number.startswith(SAMPLE_AREA)


# (name, born, seq, category, grade, business, step, step date, reason, issued, town, phone, cert?)
PEOPLE = (
    ("林晓梅", "19850312", "002", "肢体", "三级", "新办", "审核", "2026-10-20", "", "", "鳌江镇", "13800000001", False),
    ("陈建国", "19620708", "011", "肢体", "二级", "换领", "制证", "2026-10-28", "", "", "昆阳镇", "13800000002", True),
    ("王秀英", "19481120", "004", "视力", "一级", "新办", "待领取", "2026-11-02", "", "", "水头镇", "13800000003", False),
    ("张伟", "19900105", "013", "听力", "四级", "新办", "退回", "2026-10-15",
     "医院诊断证明缺少医生签字，请补签后交回乡镇残联", "", "萧江镇", "13800000004", False),
    ("周丽", "19780530", "006", "言语", "三级", "补办", "已发证", "2026-09-10", "", "2026-09-10", "腾蛟镇",
     "13800000005", True),
)
FIRST = PEOPLE[0]  # the person the start-up text tells newcomers to register as


def registry_rows() -> list[tuple]:
    rows = []
    codes = {"视力": 1, "听力": 2, "言语": 3, "肢体": 4, "智力": 5, "精神": 6, "多重": 7}
    grades = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}
    for name, born, seq, cat, grade, business, step, when, reason, issued, town, phone, cert in PEOPLE:
        id_number = sample_id(born, seq)
        cert_number = f"{id_number}{codes[cat]}{grades[grade]}" if cert else ""
        valid = f"{int(issued[:4]) + 10}{issued[4:]}" if issued else ""
        rows.append((name, id_number, cert_number, cat, grade, business, step, when, reason, issued, valid,
                     town, phone))
    return rows


JOBS = (
    ("demo-001", "电商客服（居家）", "（示例）平阳某电子商务公司", "昆阳镇", "居家办公", 3, "3000-4000元/月",
     "9:00-17:30，做五休二", "在线回复顾客咨询，公司提供电脑培训", "肢体、听力、言语", "居家办公，无需通勤",
     "居家就业", "0577-00000001"),
    ("demo-002", "包装工", "（示例）鳌江某包装厂", "鳌江镇", "鳌江镇工业区", 5, "3500元/月起", "8:00-17:00",
     "产品装盒、贴标签，坐姿作业", "听力、言语、肢体", "一楼车间，有无障碍卫生间", "全职", "0577-00000002"),
    ("demo-003", "按摩师", "（示例）水头某盲人按摩店", "水头镇", "水头镇主街", 2, "底薪+提成，4000-6000元/月",
     "10:00-21:00 轮班", "保健按摩，持盲人医疗按摩证者优先", "视力", "店内通道无台阶", "全职", "0577-00000003"),
    ("demo-004", "辅助性就业（手工编织）", "（示例）萧江镇残疾人之家", "萧江镇", "萧江镇残疾人之家", 10,
     "计件，约1500元/月", "周一至周五 8:30-11:30", "简单手工编织，有专人指导", "智力、精神、多重", "有接送",
     "辅助性就业", "0577-00000004"),
    ("demo-005", "停车场收费员", "（示例）昆阳某物业公司", "昆阳镇", "昆阳镇城东停车场", 1, "3200元/月",
     "两班倒", "岗亭收费、登记车辆", "肢体", "岗亭可坐轮椅进出", "兼职", "0577-00000005"),
)


def jobs_rows() -> list[tuple]:
    return [(*job, "") for job in JOBS]  # 截止日期 left blank: the import sets 60 days from today


def workbook_bytes(header: tuple, rows: list[tuple], title: str) -> bytes:
    """An .xlsx with a title row, the header and the rows; every cell is text (IDs keep their X)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append([title])
    sheet.append(list(header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([str(v) if v != "" else None for v in row])
    for column in sheet.iter_cols(min_row=2, max_row=2):
        sheet.column_dimensions[column[0].column_letter].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def registry_xlsx() -> bytes:
    return workbook_bytes(REGISTRY_HEADER, registry_rows(), "残疾人证办理台账（示例，人物均为虚构）")


def jobs_xlsx() -> bytes:
    return workbook_bytes(JOBS_HEADER, jobs_rows(), "招聘岗位（示例，单位均为虚构）")


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in (("registry.xlsx", registry_xlsx()), ("jobs.xlsx", jobs_xlsx())):
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    folder = Path((argv or sys.argv[1:] or [ROOT / "knowledge" / "samples"])[0])
    for path in write_samples(folder):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
