"""共享辅具 end to end: a resident reserves by /wechat, staff mark it picked up in the console, the
scheduler's tick sends the due reminder to the (fake) WeChat API, staff mark it returned; viewers only read."""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import select

from bot.scheduler import runner as sched
from bot.aids.models import AidLoan, AidStock
from bot.db import LOCAL_TZ, utcnow
from bot.models import AuditLog
from tests.support.delivery import Clock
from tests.test_aids_chat import stations
from tests.test_people_helpers import register

pytestmark = pytest.mark.knowledge_copy
O = "o_aid_e2e"


def _reminder_template(knowledge: str) -> None:
    path = Path(knowledge) / "templates.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["templates"]["booking_reminder"]["template_id"] = "TPL_REMIND"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


def _at(day: dt.date, hour: int) -> Clock:
    clock = Clock()
    clock.offset = dt.datetime.combine(day, dt.time(hour), LOCAL_TZ) - utcnow()
    return clock


def _stock(services) -> tuple[int, int]:
    with services.sessions() as s:
        row = s.scalar(select(AidStock))
        return row.available, row.count


def test_reserve_by_chat_pick_up_reminder_return(wechat_http, settings, services, console, wx_fake):
    _reminder_template(settings.knowledge_dir)
    stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 2))
    register(lambda text, openid=None: wechat_http.text(text, O), town="鳌江")
    assert "可借 2 台" in wechat_http.text("借轮椅", O)["text"]
    wechat_http.text("1", O)
    code = re.search(r"借用码：(J\w{5})", wechat_http.text("确认", O)["text"]).group(1)
    assert _stock(services) == (1, 2)

    writer = console("writer")
    page = writer.get("/admin/aids").text
    assert code in page and "待取的预约（1 件）" in page and "张*" in page
    assert writer.post("/admin/aids/mark", {"code": code, "status": "picked_up"}).status_code == 302
    with services.sessions() as s:
        due = s.scalar(select(AidLoan.due))
    assert "借出中" in writer.get("/admin/aids").text

    runtime = sched.Runtime(settings.with_(wechat_api_base=wx_fake.url), clock=_at(due - dt.timedelta(days=1), 10))
    try:
        for _ in range(3):  # a re-run tick sends nothing twice
            sched.run_once(runtime)
    finally:
        runtime.close()
    sent = wx_fake.sent(touser=O, kind="template")
    assert len(sent) == 1, sent
    assert "归还轮椅" in str(sent[0]) and "鳌江共享辅具驿站" in str(sent[0])

    assert writer.post("/admin/aids/mark", {"code": code, "status": "returned"}).status_code == 302
    assert _stock(services) == (2, 2)
    page = writer.get("/admin/aids").text
    assert f"已登记：{code} 轮椅已归还" in page
    assert "7 天内到期（0 件）" in page and "其他借出中（0 件）" in page and "待取的预约（0 件）" in page
    with services.sessions() as s:
        actions = set(s.scalars(select(AuditLog.action).where(AuditLog.actor == "writer")))
    assert {"aids.picked_up", "aids.returned"} <= actions
    assert "登记辅具" in console("boss").get("/admin/audit").text
    sheet = load_workbook(io.BytesIO(writer.get("/admin/aids/loans.xlsx").data)).active
    assert [c.value for c in sheet[2]][:7] == [code, "轮椅", "鳌江共享辅具驿站", "鳌江镇", "张三", "13812345678", "已归还"]


def test_viewers_read_but_cannot_mark_and_editors_set_stock(services, console):
    [stock_id] = stations(services, ("鳌江镇", "鳌江共享辅具驿站", "轮椅", 1))
    from bot.aids import service
    with services.sessions.begin() as s:
        code = service.reserve(s, stock_id, "o_v", "wx:o_v").code
    reader = console("reader")
    page = reader.get("/admin/aids").text
    assert code in page and "已取走" not in page and "保存库存" not in page
    assert reader.get("/admin/aids/loans.xlsx").status_code == 403 and "下载借用表" not in page
    assert reader.post("/admin/aids/mark", {"code": code, "status": "picked_up"}).status_code == 403
    writer = console("writer")
    assert "已取走" in writer.get("/admin/aids").text
    writer.post("/admin/aids/station", {"town": "水头", "name": "水头共享辅具驿站"})
    with services.sessions() as s:
        from bot.aids.models import AidStation
        new = s.scalar(select(AidStation.id).where(AidStation.town == "水头镇"))
    writer.post("/admin/aids/stock", {"station": new, "device": "助行器", "count": "3", "max_days": "30"})
    page = writer.get("/admin/aids").text
    assert "助行器 3/3（30 天）" in page and "水头镇 水头共享辅具驿站" in page
    assert "数量不能少于" in writer.post("/admin/aids/stock", {"station": stock_id, "device": "轮椅", "count": "0"},
                                         follow_redirects=True).text
