"""Accessibility and phone use of every console page in Chromium: no sideways scrolling at 375 px,
a name for every control, visible keyboard focus, text contrast, landmarks; a screenshot of each."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.notices import service as notices
from bot.booking import service as booking_service
from bot.booking.rounds import create_round
from bot.calls.models import CallTask
from bot.db import local_now
from bot.jobs import save_posting
from tests.browser.conftest import playwright_expect
from tests.support.wechat import ChatDriver

pytestmark = pytest.mark.browser
expect = playwright_expect()

# Lowest contrast ratio of text against its (computed, ancestor) background, with the element.
CONTRAST_JS = """() => {
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                     if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3); } return [255, 255, 255]; };
  let worst = [99, ''];
  for (const el of document.querySelectorAll('main *, header *, nav *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const st = getComputedStyle(el);
    if (!own || st.visibility === 'hidden' || el.closest('.visually-hidden') || el.offsetParent === null) continue;
    const a = lum(rgb(st.color).slice(0, 3)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && +st.fontWeight >= 700);
    const need = large ? 3 : 4.5;
    if (ratio / need < worst[0]) worst = [ratio / need, el.outerHTML.slice(0, 100) + ' ' + ratio.toFixed(2)];
  }
  return worst;
}"""


@pytest.fixture
def seeded(app):
    """Enough data that every page shows its tables: messages, a job, a round with a booking, a notice."""
    services = app.extensions["wxbot"]
    chat = ChatDriver(services, "o_seed")
    for q in ("残疾证怎么办理", "补贴", "明天会不会下雨"):  # the last one unanswered
        chat(q)
    with services.sessions.begin() as db:
        save_posting(db, {"title": "客服专员（居家）", "employer": "平阳某电商", "contact_phone": "13800001234",
                          "town": "鳌江镇"}, actor="seed", knowledge_dir=services.settings.knowledge_dir)
        rnd = create_round(db, date=local_now().date() + dt.timedelta(days=4), towns=["鳌江镇", "昆阳镇"],
                           capacity=5, actor="seed", team="肢体评定组")
        details = booking_service.Details(resident_key="wx:o_seed", name="王小五", id_masked="3303**********1234",
                                          phone="13800002222", address="鳌江镇新河村 12 号（很长的地址也要能折行显示）",
                                          town="鳌江镇", category=4, reason="bedridden")
        seeded_booking = booking_service.book(db, rnd.id, "o_seed", details, services.settings.data_key)
        call = CallTask(openid="o_seed", ref=f"booking:{seeded_booking.id}", what="上门评残场次取消",
                        message="很抱歉，上门评残取消了。", reason="居民超过 48 小时没有发消息，微信不让发客服消息，也没有配置模板消息")
        db.add(call)
        db.flush()
        notice = notices.create(db, title="助残日活动", body="欢迎参加。", audience="all", created_by="seed",
                                draft=True)
    return {"round": rnd.id, "notice": notice.id, "call": call.id}


PAGES = ["/admin/dashboard", "/admin/calls", "/admin/calls/{call}", "/admin/kb", "/admin/kb/entry/cert.apply", "/admin/kb/entry/cert.apply/edit",
         "/admin/kb/try?q=补贴", "/admin/unanswered", "/admin/facts", "/admin/facts/county.clf_phone",
         "/admin/jobs", "/admin/jobs/new", "/admin/jobs/import", "/admin/people", "/admin/people/import",
         "/admin/rounds", "/admin/rounds/{round}", "/admin/notices", "/admin/notices/new",
         "/admin/notices/{notice}", "/admin/staff", "/admin/staff/1", "/admin/audit", "/admin/settings", "/admin/password"]


@pytest.mark.parametrize("phone", [True, False], ids=["phone375", "desktop"])
def test_every_page_is_usable_on_a_phone_and_accessible(browser_for, seeded, phone):
    staff = browser_for("boss", phone=phone)
    problems = []
    for path in PAGES:
        staff.goto(path.format(**seeded))
        expect(staff.page.get_by_role("heading", level=1)).to_have_count(1)
        assert staff.page.get_attribute("html", "lang") == "zh-CN"
        expect(staff.page.get_by_role("main")).to_have_count(1)
        name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "_").format(**seeded)
        if staff.horizontal_overflow() > 0:
            problems.append(f"{path}: {staff.horizontal_overflow()} px sideways scroll: {staff.too_wide()}")
        unlabelled = staff.unlabelled_controls()
        if unlabelled:
            problems.append(f"{path}: controls without a name {unlabelled}")
        worst = staff.page.evaluate(CONTRAST_JS)
        if worst[0] < 1:
            problems.append(f"{path}: low contrast {worst[1]}")
        staff.shot(name)
    assert not problems, "\n".join(problems)


def test_keyboard_focus_is_visible_and_skip_link_works(browser_for):
    staff = browser_for("writer")
    staff.goto("/admin/jobs")
    staff.page.keyboard.press("Tab")
    skip = staff.page.evaluate("document.activeElement.textContent")
    assert skip == "跳到主要内容"
    assert staff.page.evaluate("getComputedStyle(document.activeElement).top") == "0px"  # shown on focus
    staff.page.keyboard.press("Enter")
    assert staff.page.evaluate("location.hash") == "#main"
    staff.page.keyboard.press("Tab")
    focused = staff.page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [document.activeElement.textContent.trim(), s.outlineStyle, s.outlineWidth, s.boxShadow]; }""")
    assert focused[0] == "发布新岗位"  # the first control inside main, right after the skip
    assert focused[1] != "none" and focused[2] != "0px" and focused[3] != "none"
    staff.shot("focus", full_page=False)


def test_menu_marks_the_current_page(browser_for):
    staff = browser_for("writer")
    staff.goto("/admin/jobs/new")
    current = staff.page.locator("nav [aria-current=page]")
    expect(current).to_have_text("岗位")
