"""共享辅具 in a real browser: a loan reserved by chat is listed, marked picked up, then returned."""
from __future__ import annotations

import re

import pytest

from bot.aids import service
from tests.browser.conftest import playwright_expect

pytestmark = pytest.mark.browser
expect = playwright_expect()


def test_a_loan_is_listed_picked_up_and_returned(browser_for, app):
    services = app.extensions["wxbot"]
    with services.sessions.begin() as s:
        station = service.add_station(s, "鳌江镇", "鳌江共享辅具驿站")
        stock = service.set_stock(s, station.id, "轮椅", 2)
        code = service.reserve(s, stock.id, "o_b1", "wx:o_b1").code
    staff = browser_for("writer")
    staff.goto("/admin/dashboard")
    staff.page.get_by_role("link", name="共享辅具").click()
    pickups = staff.page.get_by_role("table", name=re.compile("待取的预约"))
    expect(pickups.get_by_role("rowheader", name=code)).to_be_visible()
    assert staff.unlabelled_controls() == []
    staff.shot("aids-pickups")
    pickups.get_by_role("button", name=f"已取走 {code}").click()
    expect(staff.page.get_by_text(f"已登记：{code} 轮椅已取走。")).to_be_visible()
    lent = staff.page.get_by_role("table", name=re.compile("其他借出中"))
    lent.get_by_role("button", name=f"已归还 {code}").click()
    expect(staff.page.get_by_text(f"已登记：{code} 轮椅已归还。")).to_be_visible()
    expect(staff.page.get_by_role("table", name=re.compile("驿站和库存"))).to_contain_text("轮椅 2/2")


def test_the_aids_page_fits_a_phone(browser_for, app):
    with app.extensions["wxbot"].sessions.begin() as s:
        station = service.add_station(s, "鳌江镇", "鳌江共享辅具驿站")
        service.reserve(s, service.set_stock(s, station.id, "轮椅", 1).id, "o_b2", "wx:o_b2")
    staff = browser_for("writer", phone=True)
    staff.goto("/admin/aids")
    expect(staff.page.get_by_role("heading", level=1)).to_have_count(1)
    assert staff.horizontal_overflow() <= 0, staff.too_wide()
    staff.shot("aids-phone")
