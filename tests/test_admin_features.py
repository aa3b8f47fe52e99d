"""Console pages over the capabilities: jobs, certificate registry (import, audited views), assessment
rounds and bookings, notices, staff accounts, the audit log, and `wxbot staff`."""
from __future__ import annotations

import pytest

import datetime as dt
import io
import re
import time

import openpyxl
from click.testing import CliRunner
from sqlalchemy import select

from bot.admin.models import Staff
from bot.booking import service as booking_service
from bot.db import local_now
from bot.jobs.models import JobPosting
from bot.models import AuditLog
from bot.outbox.models import Notice
from bot.people.models import CertRecord

pytestmark = pytest.mark.knowledge_copy


def id_number(seq: int, born: str = "19800101") -> str:
    """A synthetic ID number with a valid check digit (GB 11643)."""
    body = f"330326{born}{seq:03d}"
    check = (12 - sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


def registry_xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "残疾类别", "残疾等级", "业务类型", "当前环节", "环节日期", "乡镇", "联系电话"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def audit_rows(app, action: str) -> list[AuditLog]:
    with app.extensions["wxbot"].sessions() as db:
        return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


def wait_for_task(client, url: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(url + ".json").json
        if state["finished"]:
            return client.get(url).text
        time.sleep(0.1)
    raise AssertionError("import did not finish")


def test_job_form_creates_edits_and_withdraws(app, console):
    writer = console("writer")
    until = (local_now().date() + dt.timedelta(days=30)).isoformat()
    resp = writer.post("/admin/jobs/new", {"title": "图书整理员", "employer": "平阳县图书馆", "town": "昆阳镇",
                                           "contact_phone": "0577-63700000", "kind": "兼职", "positions": "2",
                                           "categories": ["肢体", "听力"], "valid_until": until})
    assert resp.status_code == 302, resp.text
    listing = writer.get("/admin/jobs").text
    assert "图书整理员" in listing and "发布中" in listing
    with app.extensions["wxbot"].sessions() as db:
        posting = db.scalar(select(JobPosting))
    assert posting.categories == ["听力", "肢体"] and posting.created_by == "writer"
    bad = writer.post(f"/admin/jobs/{posting.external_id}/edit", {"title": "", "employer": "平阳县图书馆",
                                                                  "contact_phone": "0577-63700000"})
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.text and "没有保存" in bad.text
    assert writer.post(f"/admin/jobs/{posting.external_id}/withdraw").status_code == 302
    assert "已撤下" in writer.get("/admin/jobs").text
    assert audit_rows(app, "jobs.withdraw")


def test_job_import_shows_the_row_report(app, console):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["岗位名称", "用人单位", "联系电话", "乡镇"])
    sheet.append(["包装工", "鳌江某厂", "13800001111", "鳌江镇"])
    sheet.append(["", "没有岗位名的单位", "13800002222", ""])
    out = io.BytesIO()
    book.save(out)
    resp = console("writer").post("/admin/jobs/import", {"file": (io.BytesIO(out.getvalue()), "岗位.xlsx")},
                                  content_type="multipart/form-data")
    assert resp.status_code == 200
    assert "第 2 行" in resp.text and "新增" in resp.text and "第 3 行" in resp.text and "错误，未导入" in resp.text
    with app.extensions["wxbot"].sessions() as db:
        assert [p.title for p in db.scalars(select(JobPosting))] == ["包装工"]


def test_registry_import_with_progress_and_audited_record_view(app, console):
    good = id_number(11)
    data = registry_xlsx([["张三", good, "肢体", "二级", "新办", "公示", "2026-05-06", "鳌江镇", "13812345678"],
                          ["李四", good[:17] + ("0" if good[17] != "0" else "1"), 4, 2, "新办", "受理",
                           "2026-05-06", "", ""]])
    writer = console("writer")
    resp = writer.post("/admin/people/import", {"file": (io.BytesIO(data), "台账.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    page = wait_for_task(writer.client, resp.headers["Location"])
    assert "导入完成" in page and "新增 1" in page and "第 3 行" in page
    assert good[:17] + ("0" if good[17] != "0" else "1") not in page  # the refused row's number is masked
    assert audit_rows(app, "certs.import")
    with app.extensions["wxbot"].sessions() as db:
        record_id = db.scalar(select(CertRecord.id))
    reader = console("reader")
    page = reader.get(f"/admin/people/record/{record_id}").text
    assert "张三" in page and good not in page and good[:4] in page and "**" in page
    views = audit_rows(app, "record.view")
    assert len(views) == 1 and views[0].actor == "reader" and views[0].target == f"cert_record:{record_id}"
    by_name = reader.post("/admin/people", {"q": "张三"}).text
    assert "张*" in by_name and f"/admin/people/record/{record_id}" in by_name and good not in by_name
    masked = good[:4] + "*" * 10 + good[-4:]
    assert f"/admin/people/record/{record_id}" in reader.post("/admin/people", {"q": masked}).text
    assert "没有找到" in reader.post("/admin/people", {"q": "王二麻"}).text
    searches = audit_rows(app, "record.search")
    assert len(searches) == 3 and all(good not in str(s.detail) and "张三" not in str(s.detail) for s in searches)


def test_unusable_registry_file_is_reported(console):
    writer = console("writer")
    resp = writer.post("/admin/people/import", {"file": (io.BytesIO(b"just,some\ncsv,text\n"), "x.csv")},
                       content_type="multipart/form-data")
    page = wait_for_task(writer.client, resp.headers["Location"])
    assert "文件不能用" in page


def test_rounds_fill_filters_sheet_and_marks(app, console):
    writer = console("writer")
    day = (local_now().date() + dt.timedelta(days=5)).isoformat()
    resp = writer.post("/admin/rounds/new", {"date": day, "towns": ["鳌江镇"], "capacity": "5", "team": "第一组"})
    assert resp.status_code == 302
    services = app.extensions["wxbot"]
    with services.sessions.begin() as db:
        from bot.booking.models import AssessmentRound
        round_id = db.scalar(select(AssessmentRound.id))
        for n, name in enumerate(("王五", "赵六", "钱七")):
            details = booking_service.Details(resident_key=f"wx:o_b{n}", name=name, id_masked="3303**********1234",
                                              phone=f"1380000111{n}", address=f"鳌江镇 {n} 号", town="鳌江镇",
                                              category=4, reason="bedridden")
            booking_service.book(db, round_id, f"o_b{n}", details, services.settings.data_key)
    listing = writer.get("/admin/rounds", query_string={"town": "鳌江镇", "from": day, "to": day}).text
    assert "3/5" in listing
    assert "没有符合条件的场次" in writer.get("/admin/rounds", query_string={"town": "南麂镇"}).text
    page = writer.get(f"/admin/rounds/{round_id}").text
    assert "王五" in page and "13800001110" in page and audit_rows(app, "booking.list")
    booking_id = re.search(rf'/admin/rounds/{round_id}/bookings/(\d+)/mark', page).group(1)
    assert writer.post(f"/admin/rounds/{round_id}/bookings/{booking_id}/mark", {"status": "visited"}).status_code == 302
    other = re.findall(rf'/admin/rounds/{round_id}/bookings/(\d+)/mark', page)
    not_home = next(b for b in other if b != booking_id)
    writer.post(f"/admin/rounds/{round_id}/bookings/{not_home}/mark", {"status": "not_home"})
    visited = writer.get(f"/admin/rounds/{round_id}", query_string={"status": "visited"}).text
    assert visited.count('data-label="预约码"') == 1
    assert "不在家" in writer.get(f"/admin/rounds/{round_id}", query_string={"status": "not_home"}).text
    sheet = writer.get(f"/admin/rounds/{round_id}/sheet.xlsx")
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert any("王五" in (c or "") for row in rows for c in row if isinstance(c, str))
    assert audit_rows(app, "booking.export") and audit_rows(app, "booking.mark")
    viewer = console("reader")
    assert "下载路线表" not in viewer.get(f"/admin/rounds/{round_id}").text
    assert viewer.get(f"/admin/rounds/{round_id}/sheet.xlsx").status_code == 403  # names, phones, addresses


def test_notice_compose_preview_schedule_report_cancel(app, console):
    writer = console("writer")
    form = {"title": "助残日文艺汇演", "body": "欢迎残疾人朋友和家属观看。\n有无障碍座位。", "audience": "all",
            "place": "县文化中心", "event_at": "2026-12-20T14:30", "when": "later",
            "scheduled_at": "2026-12-10T09:00"}
    preview = writer.post("/admin/notices/new", {**form, "action": "preview"})
    assert preview.status_code == 200 and "【活动通知】助残日文艺汇演" in preview.text and "地点：县文化中心" in preview.text
    with app.extensions["wxbot"].sessions() as db:
        assert db.scalar(select(Notice)) is None  # a preview saves nothing
    saved = writer.post("/admin/notices/new", {**form, "action": "save"})
    assert saved.status_code == 302
    detail = writer.get(saved.headers["Location"]).text
    assert "已安排" in detail and "今天还能群发" in detail and "还没有开始发送" in detail
    with app.extensions["wxbot"].sessions() as db:
        notice = db.scalar(select(Notice))
    assert notice.status == "scheduled" and notice.scheduled_at.astimezone(dt.timezone.utc).hour == 1
    assert writer.post(f"/admin/notices/{notice.id}/cancel").status_code == 302
    assert "已取消" in writer.get(f"/admin/notices/{notice.id}").text
    bad = writer.post("/admin/notices/new", {**form, "title": "", "action": "save"})
    assert "标题不能为空" in bad.text
    assert audit_rows(app, "notice.create") and audit_rows(app, "notice.cancel")


def test_admin_manages_accounts_and_reads_audit_log(app, console):
    boss = console("boss")
    resp = boss.post("/admin/staff", {"username": "newbie", "display_name": "小王", "role": "editor",
                                      "password": "Welcome-to-ccf-1"})
    assert resp.status_code == 302
    assert console().login("newbie", "Welcome-to-ccf-1").status_code == 302
    with app.extensions["wxbot"].sessions() as db:
        newbie_id = db.scalar(select(Staff.id).where(Staff.username == "newbie"))
    boss.post(f"/admin/staff/{newbie_id}", {"op": "role", "role-role": "viewer"})
    with app.extensions["wxbot"].sessions() as db:
        assert db.get(Staff, newbie_id).role == "viewer"
    weak = boss.post("/admin/staff", {"username": "weak", "role": "viewer", "password": "123"})
    assert "至少 10 位" in weak.text
    log = boss.get("/admin/audit", query_string={"action": "staff."}).text
    assert "新建了账号 newbie（编辑）" in log and "把账号 newbie 的角色从编辑改成了只读" in log
    assert "小王</td>" in log  # the display name, not the login name, says who signed in


def test_cli_staff_commands(settings, monkeypatch):
    from bot.cli.main import cli
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    runner = CliRunner()
    result = runner.invoke(cli, ["staff", "create", "--username", "lin", "--password", "Cli-password-77",
                                 "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "lin" in runner.invoke(cli, ["staff", "list"]).output
    assert runner.invoke(cli, ["staff", "create", "--username", "lin2", "--password", "short"]).exit_code != 0
    result = runner.invoke(cli, ["staff", "reset-password", "--username", "lin", "--password", "Cli-password-88"])
    assert result.exit_code == 0, result.output


def test_jobs_list_pages_by_fifty_open_first(app, console):
    from bot.jobs import postings
    with app.extensions["wxbot"].sessions.begin() as db:
        for n in range(56):
            postings.save_posting(db, {"external_id": f"P-{n:03d}", "title": f"岗位{n:03d}", "employer": "某厂",
                                       "contact_phone": "0577-63700000"}, actor="test",
                                  knowledge_dir=app.config["SETTINGS"].knowledge_dir)
        postings.withdraw_posting(db, "P-055", actor="test")
    viewer = console("reader")
    first, second = viewer.get("/admin/jobs").text, viewer.get("/admin/jobs?page=2").text
    assert first.count('data-label="岗位"') == 50 and second.count('data-label="岗位"') == 6
    assert "共 56 个岗位" in first and "第 1 / 2 页" in first and "page=2" in first
    assert first.index("岗位054") < first.index("岗位053")  # newest open first …
    assert "岗位055" in second and "岗位000" in second  # … the withdrawn one after every open one
    assert viewer.get("/admin/jobs?status=withdrawn").text.count('data-label="岗位"') == 1
