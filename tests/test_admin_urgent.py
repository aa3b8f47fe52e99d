"""The 紧急求助 console page: a banner on every page while items are open, handling with a note, audit."""
from __future__ import annotations

import pytest

import re

from sqlalchemy import select

from bot.models import AuditLog
from bot.safety.models import UrgentItem
from tests.support.wechat import ChatDriver

pytestmark = pytest.mark.knowledge_copy


BANNER = 'id="urgent-banner"'


def console_pages(page: str) -> list[str]:
    """Every menu link of a page (the nav), plus the account pages every role has."""
    nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S).group(0)
    return re.findall(r'href="(/admin/[^"]+)"', nav) + ["/admin/password", "/admin/urgent/999999"]


def items(app) -> list[UrgentItem]:
    with app.extensions["wxbot"].sessions() as s:
        return list(s.scalars(select(UrgentItem).order_by(UrgentItem.id)))


def test_banner_is_on_every_page_until_each_item_is_handled(app, console):
    chat = ChatDriver(app.extensions["wxbot"])
    boss = console("boss")
    assert BANNER not in boss.get("/admin/dashboard").text
    chat("我不想活了 我电话13812345678")
    chat("老人摔倒了起不来", openid="o_other")
    chat("你们服务太差了", openid="o_other")
    pages = console_pages(boss.get("/admin/dashboard").text)
    assert "/admin/urgent" in pages and len(pages) >= 8
    for path in pages:
        page = boss.get(path).text
        assert BANNER in page and "有 2 条紧急求助待处理" in page and "另有 1 条投诉、找人或可能的求助待处理" in page, path
    listing = boss.get("/admin/urgent").text
    assert "13812345678" not in listing and "138****5678" in listing
    for item in items(app):
        resp = boss.post(f"/admin/urgent/{item.id}", {"note": f"已电话联系，编号{item.id}"})
        assert resp.status_code == 302
    for path in pages:
        assert BANNER not in boss.get(path).text, path
    handled = boss.get("/admin/urgent").text
    assert "没有待处理的事项" in handled and "已电话联系" in handled and "boss" in handled


def test_a_note_is_required_and_viewers_see_but_cannot_mark(app, console):
    ChatDriver(app.extensions["wxbot"])("我被家里人打了")
    [item] = items(app)
    reader = console("reader")
    assert "有 1 条紧急求助待处理" in reader.get("/admin/jobs").text
    detail = reader.get(f"/admin/urgent/{item.id}").text
    assert "被家里人打了" in detail and "标记为已处理" not in detail
    assert reader.post(f"/admin/urgent/{item.id}", {"note": "看过了"}).status_code == 403
    writer = console("writer")
    refused = writer.post(f"/admin/urgent/{item.id}", {"note": "  "})
    assert refused.status_code == 200 and "请写明做了什么" in refused.text
    assert items(app)[0].handled_at is None
    assert writer.post(f"/admin/urgent/{item.id}", {"note": "已联系妇联和村干部上门"}).status_code == 302
    [done] = items(app)
    assert done.handled_by == "writer" and done.action_taken == "已联系妇联和村干部上门" and done.handled_at
    again = writer.post(f"/admin/urgent/{item.id}", {"note": "再点一次"})
    assert "已由 writer 处理过了" in again.text and items(app)[0].action_taken == "已联系妇联和村干部上门"
    with app.extensions["wxbot"].sessions() as s:
        actions = {(a.actor, a.action) for a in s.scalars(select(AuditLog))}
    assert {("reader", "urgent.view"), ("writer", "urgent.handle")} <= actions


def test_editors_see_the_registered_phone_viewers_a_masked_one(app, console):
    from tests.test_people_helpers import load, make_id, record
    services = app.extensions["wxbot"]
    chat = ChatDriver(services)
    id18 = make_id(501)
    load(services, [record(id_number=id18, name="张三", phone="13812345678")])
    for said in ("绑定", "1", "张三", id18, "13812345678", "鳌江"):
        chat(said)
    chat("我摔倒了起不来")
    [item] = items(app)
    assert "13812345678" in console("writer").get(f"/admin/urgent/{item.id}").text
    masked = console("reader").get(f"/admin/urgent/{item.id}").text
    assert "13812345678" not in masked and "138****5678" in masked and "张*" in masked
