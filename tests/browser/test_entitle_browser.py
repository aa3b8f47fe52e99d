"""The 政策体检 console pages in Chromium: usable on a 375 px phone, controls named, one h1, readable contrast."""
from __future__ import annotations

import pytest

from tests.browser.conftest import playwright_expect
from tests.browser.test_console_a11y import CONTRAST_JS

pytestmark = pytest.mark.browser
expect = playwright_expect()

PAGES = ["/admin/entitlements", "/admin/entitlements/try",
         "/admin/entitlements/try?cert=有证&huji=平阳&category=智力&grade=三级&age=18-59"
         "&household=低保边缘&situation=都不是"]


@pytest.mark.parametrize("phone", [True, False], ids=["phone375", "desktop"])
def test_rules_and_try_pages_work_on_a_phone(browser_for, phone):
    staff = browser_for("writer", phone=phone)
    problems = []
    for path in PAGES:
        staff.goto(path)
        expect(staff.page.get_by_role("heading", level=1)).to_have_count(1)
        if staff.horizontal_overflow() > 0:
            problems.append(f"{path}: {staff.horizontal_overflow()} px sideways scroll: {staff.too_wide()}")
        if staff.unlabelled_controls():
            problems.append(f"{path}: controls without a name {staff.unlabelled_controls()}")
        worst = staff.page.evaluate(CONTRAST_JS)
        if worst[0] < 1:
            problems.append(f"{path}: low contrast {worst[1]}")
    assert not problems, "\n".join(problems)
    expect(staff.page.locator("nav [aria-current=page]")).to_have_text("政策体检")
    expect(staff.page.get_by_text("单独申请低保").first).to_be_visible()
