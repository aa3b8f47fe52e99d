"""Registry import: dirty Excel, row reports, idempotent upsert, notifications, encryption, audit, CLI."""
from __future__ import annotations

import io

import openpyxl
from click.testing import CliRunner
from sqlalchemy import select, text

from bot.models import AuditLog
from bot.people.api import search_records, view_record
from bot.people.models import CertRecord
from bot.people.registry_import import import_registry
from bot.privacy.pii import lookup_hash
from tests.test_people_helpers import (HEADER, load, make_id, make_x_id, outbox, record, register, workbook,
                                       wrong_check)


def _dirty_workbook() -> tuple[bytes, dict]:
    """Merged title and two-row header, trailing spaces, full-width digits, number cells, blank rows."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["平阳县残疾人证办理进度台账（2026年5月）"])
    ws.merge_cells("A1:L1")
    ws.append(["姓名 ", " 身份证号码", "残疾情况", None, "业务类型", "当前环节 ", "环节日期", "退回原因", "发证日期",
               "有效期至", "乡镇", "联系电话"])
    ws.append([None, None, "类别", "等级", None, None, None, None, None, None, None, None])
    for col in "ABEFGHIJKL":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("C2:D2")
    ok_wide = make_id(101).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    rows = {
        4: ["李四 ", ok_wide, "肢体", "二级", "新办 ", "公示", "2026/5/6", None, None, None, "鳌江 ", "138 0000 1111"],
        5: [None] * 12,  # blank row
        6: ["王五", float(make_id(102)), 4, 2, "新办", "受理", 46148, None, None, None, "昆阳镇", 13800002222],
        7: ["赵六", int(make_x_id()[:17]), 4, 2, "新办", "受理", "2026-05-06", None, None, None, None, None],
        8: ["钱七", wrong_check(make_id(104)), 4, 2, "新办", "受理", "2026-05-06", None, None, None, None, None],
        9: ["孙八", make_id(105), 4, 2, "新办", "办好了", "2026-05-06", None, None, None, None, None],
        10: ["周九", make_id(106) + "42", 4, 2, "换证", "已领证", "2026年5月6日", None, 46148, "2036-05-06",
             "水头", "0577-63123456"],
        11: ["吴十", make_id(107), 4, 2, "新办", "受理", "2026-05-06", None, None, None, None, 57763123456],
        12: ["   ", None, None, None, None, None, None, None, None, None, None, None],  # spaces only
        13: ["郑一", make_id(108) + "52", 4, 2, "新办", "受理", "05/06/2026", None, None, None, None, None],
    }
    for number in range(4, 14):
        ws.append(rows[number])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), rows


def test_dirty_excel_loads_good_rows_and_reports_bad_ones_by_row(services):
    data, _rows = _dirty_workbook()
    report = import_registry(services.sessions, services.settings, data, "staff:a", filename="台账.xlsx")
    errors = {i.row: i.message for i in report.errors}
    assert report.inserted == 2 and report.rows == 8  # blank rows 5 and 12 are not rows
    assert set(errors) == {6, 7, 8, 9, 11, 13}
    assert "数字格式" in errors[6] and "15 位" in errors[6]
    assert "X" in errors[7] and "17 位" in errors[7]
    assert "校验码" in errors[8]
    assert "当前环节看不懂：办好了" in errors[9]
    assert "0 可能丢了" in errors[11]
    assert "残疾类别" in errors[13] and "环节日期看不懂" in errors[13]  # two problems, one line
    with services.sessions() as s:
        rows = {r.business_type: r for r in s.scalars(select(CertRecord))}
    assert rows["新办"].step == "公示" and rows["新办"].town == "鳌江镇" and rows["新办"].category == 4
    assert rows["换领"].step == "已发证" and rows["换领"].valid_until.year == 2036
    assert rows["换领"].issued_on.isoformat() == "2026-05-06"


def test_reimport_is_idempotent_and_changes_update_in_place(services):
    rows = [record(id_number=make_id(seq)) for seq in range(200, 230)]
    first = load(services, rows)
    again = load(services, rows)
    assert (first.inserted, again.inserted, again.updated, again.unchanged) == (30, 0, 0, 30)
    rows[0][5] = "评定"
    rows[0][6] = "2026-05-10"
    third = load(services, rows)
    assert (third.updated, third.unchanged) == (1, 29)
    with services.sessions() as s:
        assert s.scalar(select(text("count(*)")).select_from(CertRecord)) == 30


def test_same_resident_other_business_is_a_second_record_and_duplicates_last_row_wins(services):
    id18 = make_id(300)
    report = load(services, [record(id_number=id18, step="受理"), record(id_number=id18, step="评定"),
                             record(id_number=id18, business="补办", step="制证")])
    assert report.inserted == 2 and report.warnings[0].row == 2 and "第 3 行" in report.warnings[0].message
    with services.sessions() as s:
        steps = {r.business_type: r.step for r in s.scalars(select(CertRecord))}
    assert steps == {"新办": "评定", "补办": "制证"}


def test_an_older_export_never_moves_a_resident_backwards(services):
    id18 = make_id(301)
    load(services, [record(id_number=id18, step="制证", step_date="2026-05-20")])
    report = load(services, [record(id_number=id18, step="公示", step_date="2026-05-06")])
    assert report.older == 1 and "更早" in report.warnings[0].message
    with services.sessions() as s:
        assert s.scalar(select(CertRecord.step)) == "制证"


def test_identifiers_are_encrypted_and_found_by_keyed_hash(services, settings):
    id18 = make_id(302)
    load(services, [record(id_number=id18 + "42", name="冯二", phone="13912345678")])
    with services.sessions() as s:
        row = s.scalar(select(CertRecord))
        assert row.id_hash == lookup_hash(settings.data_key, id18)
        dumped = " ".join(str(v) for v in s.execute(text("select * from cert_record")).one())
    assert id18 not in dumped and "冯二" not in dumped and "13912345678" not in dumped


def test_step_change_notifies_linked_resident_once_per_step(chat, services):
    id18 = make_id(303)
    load(services, [record(id_number=id18, name="张三", step="制证")])
    assert "注册成功" in register(chat, "张三", id18).text
    before = len(outbox(services, "o_resident"))
    rows = [record(id_number=id18, name="张三", step="待领取", step_date="2026-05-20")]
    load(services, rows)
    load(services, rows)  # the same file again: nothing new
    sent = outbox(services, "o_resident")[before:]
    assert len(sent) == 1 and "可以领取" in sent[0].payload["text"]["content"]
    assert make_id(303) not in str(sent[0].payload) and "张*" in sent[0].payload["text"]["content"]
    load(services, [record(id_number=id18, name="张三", step="退回", step_date="2026-05-25", reason="照片不合格")])
    last = outbox(services, "o_resident")[-1].payload["text"]["content"]
    assert "退回原因：照片不合格" in last
    assert len(outbox(services, "o_resident")) == before + 2


def test_import_of_a_record_links_a_waiting_registration_and_tells_them(chat, services):
    id18 = make_id(304)
    assert "暂时没有查到" in register(chat, "张三", id18).text
    report = load(services, [record(id_number=id18, name="张三", step="受理")])
    assert report.linked == 1 and report.notified == 1
    assert "办证进度" in outbox(services, "o_resident")[-1].payload["text"]["content"]


def test_import_is_audited_without_personal_data_and_record_views_too(services, settings):
    id18 = make_id(305)
    load(services, [record(id_number=id18), ["坏行", wrong_check(make_id(306))] + [""] * 10], actor="staff:li")
    with services.sessions.begin() as s:
        listed = search_records(s, "staff:li", id18, data_key=settings.data_key)
        shown = view_record(s, "staff:li", listed[0]["id"], data_key=settings.data_key)
    assert listed[0]["name_masked"] == "张*" and id18 not in str(listed)
    assert shown["id_number"] == id18 and shown["name"] == "张三"
    with services.sessions() as s:
        entries = list(s.scalars(select(AuditLog).order_by(AuditLog.id)))
    assert [e.action for e in entries] == ["certs.import", "record.search", "record.view"]
    assert entries[0].detail["inserted"] == 1 and entries[0].detail["errors"] == 1
    assert id18 not in str([(e.target, e.detail) for e in entries])


def test_staff_search_by_name_whole_or_masked_number_is_audited(services, settings):
    id_a, id_b = make_id(310), make_id(311)
    load(services, [record(id_number=id_a + "42", name="陈 小明"), record(id_number=id_b, name="陈小红")])
    with services.sessions.begin() as s:
        def find(q):
            return [r["name_masked"] for r in search_records(s, "staff:li", q, data_key=settings.data_key)]
        assert find("陈小明") == ["陈**"] and find("陳小紅") == ["陈**"] and find("陈") == []
        assert find(id_b) == ["陈**"] and find(id_a + "42") == ["陈**"]
        assert len(find(f"{id_a[:4]}{'*' * 10}{id_a[-4:]}")) == 1
        assert len(find(f"{id_a[:4]}{'*' * 12}{id_a[-2:]}42")) == 1
        assert find(f"1234{'*' * 10}{id_a[-4:]}") == [] and find(make_id(312)) == []
    with services.sessions() as s:
        searches = list(s.scalars(select(AuditLog).where(AuditLog.action == "record.search")))
    assert len(searches) == 9 and id_a not in str([e.detail for e in searches])
    assert "陈" not in str([(e.target, e.detail) for e in searches])


def test_csv_in_gbk_and_a_session_owned_by_the_caller(services, settings):
    lines = [",".join(HEADER), ",".join(str(v) for v in record(id_number=make_id(307)))]
    data = "\r\n".join(lines).encode("gb18030")
    with services.sessions.begin() as s:
        report = import_registry(s, settings, data, "staff:a", filename="t.csv")
    assert report.inserted == 1 and not report.errors


def test_file_without_required_columns_is_refused_as_a_whole(services, settings):
    import pytest
    from bot.people.sheet import SheetError
    with pytest.raises(SheetError, match="业务类型"):
        no_business = workbook([["张三", make_id()]], header=["姓名", "身份证号", "乡镇"])
        import_registry(services.sessions, settings, no_business, "staff:a", filename="t.xlsx")


def test_cli_import_prints_progress_and_row_report(settings, tmp_path):
    from bot.cli.main import cli
    path = tmp_path / "台账.xlsx"
    path.write_bytes(workbook([record(id_number=make_id(308)), record(id_number=wrong_check(make_id(309)))],
                              title="平阳县残疾人证台账"))
    errors_csv = tmp_path / "errors.csv"
    env = {"DATABASE_URL": settings.database_url, "KNOWLEDGE_DIR": settings.knowledge_dir,
           "DATA_KEY": settings.data_key}
    result = CliRunner().invoke(cli, ["certs", "import", str(path), "--errors-csv", str(errors_csv)], env=env)
    assert result.exit_code == 1, result.output
    assert "新增 1" in result.output and "第 4 行" in result.output and "校验码" in result.output
    assert "写入" in result.output  # the progress bar label
    assert "校验码" in errors_csv.read_text("utf-8-sig")
    again = CliRunner().invoke(cli, ["certs", "import", str(path)], env=env)
    assert "未变 1" in again.output
