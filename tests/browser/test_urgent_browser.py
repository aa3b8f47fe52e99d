"""紧急求助 in a real browser: the banner on every page, handling an item with a note, then no banner."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import playwright_expect
from tests.browser.test_console_a11y import CONTRAST_JS
from tests.support.wechat import ChatDriver

pytestmark = pytest.mark.browser
expect = playwright_expect()


def test_banner_leads_to_the_item_and_goes_away_when_handled(browser_for, app):
    ChatDriver(app.extensions["wxbot"], "o_u1")("我不想活了")
    staff = browser_for("writer")
    banner = staff.page.get_by_role("region", name="紧急求助提醒")
    expect(banner).to_contain_text("有 1 条紧急求助待处理")
    staff.goto("/admin/jobs")
    expect(banner).to_be_visible()
    banner.get_by_role("link", name="去“紧急求助”页面处理").click()
    staff.page.get_by_role("link", name=re.compile("查看和处理")).click()
    expect(staff.page.get_by_role("heading", level=1)).to_contain_text("轻生")
    assert staff.unlabelled_controls() == []
    staff.shot("urgent-detail")
    staff.page.get_by_role("button", name="标记为已处理").click()  # no note: the form refuses
    assert staff.page.get_by_label(re.compile("做了什么")).evaluate("el => el.validity.valueMissing")
    staff.page.get_by_label(re.compile("做了什么")).fill("已电话联系本人，家属在身边")
    staff.page.get_by_role("button", name="标记为已处理").click()
    expect(staff.page.get_by_text("已标记为已处理。")).to_be_visible()
    expect(banner).to_have_count(0)
    expect(staff.page.get_by_role("cell", name="已电话联系本人，家属在身边")).to_be_visible()


def test_urgent_pages_fit_a_phone_with_readable_contrast(browser_for, app):
    chat = ChatDriver(app.extensions["wxbot"], "o_u2")
    chat("老人摔倒了起不来怎么办")
    chat("你们服务太差了，电话一直打不通")
    staff = browser_for("reader", phone=True)
    for path in ("/admin/urgent", "/admin/urgent/1", "/admin/dashboard"):
        staff.goto(path)
        expect(staff.page.get_by_role("region", name="紧急求助提醒")).to_contain_text("另有 1 条")
        expect(staff.page.get_by_role("heading", level=1)).to_have_count(1)
        assert staff.horizontal_overflow() <= 0, (path, staff.too_wide())
        worst = staff.page.evaluate(CONTRAST_JS)
        assert worst[0] >= 1, (path, worst)
        staff.shot(path.strip("/").replace("/", "_"))
