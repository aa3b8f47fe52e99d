"""The staff console in a real browser: log in, add a job, import a registry file, compose and schedule
a notice, turn an unanswered question into a sample question; a viewer cannot change anything."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
import yaml

from bot.db import local_now
from tests.browser.conftest import playwright_expect
from tests.support.wechat import ChatDriver

pytestmark = pytest.mark.browser
expect = playwright_expect()


def _id_number(seq: int) -> str:
    body = f"330326198001015{seq:02d}"
    check = (12 - sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


def test_login_with_the_keyboard_and_see_the_dashboard(browser_for, app):
    ChatDriver(app.extensions["wxbot"], "o_b1")("办残疾证要带什么材料")
    staff = browser_for()
    staff.goto("/admin/dashboard")
    expect(staff.page).to_have_url(re.compile(r"/admin/login"))
    staff.page.keyboard.press("Tab")  # the skip link comes first
    assert staff.page.evaluate("document.activeElement.textContent") == "跳到主要内容"
    staff.page.get_by_label("用户名").fill("boss")
    staff.page.keyboard.press("Tab")
    staff.page.keyboard.type("Wrong-password-0")
    staff.page.keyboard.press("Enter")
    expect(staff.page.get_by_text("用户名或密码不对")).to_be_visible()
    staff.shot("login-error")
    staff.login("boss")
    expect(staff.page.get_by_role("heading", name="概况")).to_be_visible()
    expect(staff.page.get_by_role("img", name=re.compile("最近 14 天每天的消息数"))).to_be_visible()
    staff.shot("dashboard")


def test_add_a_job(browser_for):
    staff = browser_for("writer")
    staff.page.get_by_role("navigation", name="主菜单").get_by_role("link", name="岗位").click()
    staff.page.get_by_role("link", name="发布新岗位").click()
    staff.page.get_by_label("岗位名称 *").fill("手工编织（居家）")
    staff.page.get_by_label("用人单位 *").fill("平阳县残疾人之家")
    staff.page.get_by_label("乡镇").select_option("鳌江镇")
    staff.page.get_by_label("用工形式").select_option("居家就业")
    staff.page.get_by_label("肢体").check()
    staff.page.get_by_label("联系电话 *").fill("0577-63000000")
    staff.page.get_by_label("截止日期").fill((local_now().date() + dt.timedelta(days=20)).isoformat())
    staff.shot("job-form")
    staff.page.get_by_role("button", name="发布岗位").click()
    expect(staff.page.get_by_text("已发布：手工编织（居家）")).to_be_visible()
    expect(staff.page.get_by_role("rowheader", name="手工编织（居家）")).to_be_visible()
    staff.shot("jobs")


def test_import_a_registry_file(browser_for, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "残疾类别", "残疾等级", "业务类型", "当前环节", "环节日期", "乡镇"])
    for n, name in enumerate(["张一", "张二", "张三"], 1):
        sheet.append([name, _id_number(n), "肢体", "二级", "新办", "审核", "2026-05-06", "鳌江镇"])
    sheet.append(["错行", "12345", "肢体", "二级", "新办", "审核", "2026-05-06", "鳌江镇"])
    path = tmp_path / "办证台账.xlsx"
    book.save(path)
    staff = browser_for("writer")
    staff.goto("/admin/people/import")
    staff.page.get_by_label("台账文件").set_input_files(str(path))
    staff.page.get_by_role("button", name="上传并导入").click()
    expect(staff.page.get_by_text(re.compile("导入完成"))).to_be_visible(timeout=30_000)
    expect(staff.page.get_by_text(re.compile("新增 3"))).to_be_visible()
    expect(staff.page.get_by_role("rowheader", name="第 5 行")).to_be_visible()
    assert _id_number(1) not in staff.page.content()
    staff.shot("registry-report")
    staff.page.get_by_role("link", name="返回持证人员").click()
    staff.page.get_by_label(re.compile("姓名")).fill("张二")
    staff.page.get_by_label(re.compile("姓名")).press("Enter")
    staff.page.get_by_role("link", name="张*").click()
    expect(staff.page.get_by_text("这次查看已记入操作日志。")).to_be_visible()
    expect(staff.page.get_by_text("3303**********" + _id_number(2)[-4:])).to_be_visible()
    assert _id_number(2) not in staff.page.content()
    staff.shot("record")


def test_compose_preview_and_schedule_a_notice(browser_for, app):
    staff = browser_for("writer")
    staff.goto("/admin/notices")
    expect(staff.page.get_by_text(re.compile("今天还能群发"))).to_be_visible()
    staff.page.get_by_role("link", name="写通知").click()
    staff.page.get_by_label("标题").fill("助残日文艺汇演")
    staff.page.get_by_label("正文").fill("欢迎残疾人朋友和家属观看。\n现场有手语翻译和无障碍座位。")
    staff.page.get_by_label("活动地点（可不填）").fill("县文化中心")
    staff.page.get_by_label("发给谁").select_option("town:鳌江镇")
    staff.page.get_by_label("定时发送").check()
    when = (local_now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT09:00")
    staff.page.get_by_label("发送时间").fill(when)
    staff.page.get_by_role("button", name="预览").click()
    preview = staff.page.locator("#preview .bubble")
    expect(preview).to_contain_text("【活动通知】助残日文艺汇演")
    expect(preview).to_contain_text("地点：县文化中心")
    staff.shot("notice-preview")
    staff.page.get_by_role("button", name="保存").click()
    expect(staff.page.get_by_text("已安排定时发送。")).to_be_visible()
    expect(staff.page.get_by_text("已安排", exact=True)).to_be_visible()
    staff.shot("notice-scheduled")


def test_unanswered_question_becomes_a_sample_question(browser_for, app, settings):
    services = app.extensions["wxbot"]
    ChatDriver(services, "o_b2")("楼下的盲道被电瓶车占了找谁")
    staff = browser_for("writer")
    staff.goto("/admin/unanswered")
    staff.shot("unanswered")
    staff.page.get_by_role("link", name=re.compile("加为示例问题.*楼下的盲道被电瓶车占了找谁")).click()  # click 1
    staff.page.get_by_label("加到哪个条目").select_option("rights.complaint")
    staff.shot("add-sample")
    staff.page.get_by_role("button", name="加为示例问题").click()                             # click 2
    expect(staff.page.get_by_text(re.compile("已把“楼下的盲道被电瓶车占了找谁”加为"))).to_be_visible()
    saved = yaml.safe_load((Path(settings.knowledge_dir) / "entries" / "rights.complaint.yaml").read_text("utf-8"))
    assert "楼下的盲道被电瓶车占了找谁" in saved["questions"]
    staff.goto("/admin/kb/try?q=" + "楼下的盲道被电瓶车占了找谁")
    expect(staff.page.get_by_role("heading", name="结果：直接答复")).to_be_visible()


def test_viewer_cannot_change_anything(browser_for, app):
    staff = browser_for("reader")
    for path, absent in [("/admin/jobs", "发布新岗位"), ("/admin/notices", "写通知"), ("/admin/rounds", "新建场次"),
                         ("/admin/kb/entry/cert.apply", "修改这个条目"), ("/admin/people", "导入办证台账（Excel）")]:
        staff.goto(path)
        expect(staff.page.get_by_role("heading", level=1)).to_be_visible()
        assert staff.page.get_by_role("link", name=absent).count() == 0
        assert staff.page.get_by_role("button", name=absent).count() == 0
    staff.goto("/admin/facts")
    assert staff.page.locator("a[href^='/admin/facts/']").count() == 0
    staff.shot("viewer-facts")
    assert staff.page.get_by_role("link", name="账号").count() == 0
    token = staff.page.locator("input[name=csrf_token]").first.get_attribute("value")
    for path, form in [("/admin/jobs/new", {"title": "x"}), ("/admin/facts/county.clf_phone", {"value": "1"}),
                       ("/admin/notices/new", {"title": "x", "body": "y"}), ("/admin/kb/export", {})]:
        resp = staff.page.request.post(staff.base + path, form={**form, "csrf_token": token}, max_redirects=0)
        assert resp.status == 403, (path, resp.status)
    staff.goto("/admin/staff")
    expect(staff.page.get_by_role("heading", name="没有权限")).to_be_visible()
    staff.shot("viewer-forbidden")
