"""A newcomer's path through the seeded demo, at phone and desktop width: the simulator (register as the
printed person, book a visit), then the console (log in with the printed login, find the sample person,
see the booking on the round page, read the audit log, try a question, the settings)."""
from __future__ import annotations

import re

import pytest

from bot.devtools.demo_seed import LOGIN, PASSWORD, first_person, seed_demo
from tests.browser.conftest import playwright_expect

pytestmark = pytest.mark.browser
expect = playwright_expect()

ONE_LINE = """(el) => { const r = document.createRange(); r.selectNodeContents(el);
                         return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"""


def _say(staff, text: str, expect_in_reply: str) -> None:
    """Type like a resident and wait for the bot's answer containing the given words."""
    replies = staff.page.locator(".msg.bot")
    before = replies.count()
    staff.page.get_by_label("输入消息").fill(text)
    staff.page.get_by_label("输入消息").press("Enter")
    expect(replies.nth(before)).to_be_visible()
    expect(replies.last).to_contain_text(expect_in_reply)


@pytest.fixture
def seeded(app):
    """Seeded before `site` adds the test accounts: seeding only fills an empty database."""
    services = app.extensions["wxbot"]
    assert seed_demo(services.settings, services.sessions).status == "seeded"


@pytest.mark.parametrize("phone", [True, False], ids=["375", "1280"])
def test_a_newcomer_tries_the_seeded_demo(seeded, browser_for, phone):
    p = first_person()
    resident = browser_for(phone=phone)
    resident.goto("/")
    # Never blank: a note is on the page at once, before the subscribe reply arrives.
    expect(resident.page.locator(".msg.welcome")).to_contain_text("关注公众号")
    for name in ("文字", "发送"):
        button = resident.page.locator(".composer").get_by_role("button", name=name)
        assert button.evaluate(ONE_LINE) == 1, f"{name} wraps"
    assert resident.horizontal_overflow() <= 0, resident.too_wide()
    expect(resident.page.locator(".msg.bot").first).to_contain_text("欢迎")  # the welcome from /wechat
    resident.shot("simulator-start", full_page=False)
    _say(resident, "注册", "给谁注册")
    _say(resident, "1", "姓名")
    _say(resident, p["name"], "身份证号")
    _say(resident, p["id_number"], "电话")
    _say(resident, p["phone"], "乡镇")
    _say(resident, p["town"][:2], "核对一致")
    _say(resident, "预约评残", "为什么需要上门")
    _say(resident, "1", "哪一类残疾")
    _say(resident, "4", "地址")
    _say(resident, "鳌江镇示例村 1 号", "联系电话")
    _say(resident, "1", "可以预约的日期")
    _say(resident, "1", "请核对预约信息")
    _say(resident, "确认", "预约成功")
    resident.shot("simulator-booked", full_page=False)

    staff = browser_for(phone=phone)
    staff.login(LOGIN, PASSWORD)
    staff.goto("/admin/people")
    expect(staff.page.get_by_text("林晓梅", exact=False).first).to_be_visible()  # the hint names whom to find
    staff.page.get_by_label(re.compile("姓名")).fill(p["name"])
    staff.page.get_by_role("button", name="查找").click()
    expect(staff.page.get_by_text("示例").first).to_be_visible()
    staff.shot("people-sample")
    staff.goto("/admin/rounds")
    staff.page.get_by_role("link", name=re.compile(r"\d+月\d+日")).first.click()
    expect(staff.page.get_by_role("heading", level=1)).to_contain_text("评残场次")
    expect(staff.page.get_by_role("cell", name=re.compile(p["name"])).first).to_be_visible()
    expect(staff.page.get_by_role("cell", name=re.compile("已预约")).first).to_be_visible()
    staff.shot("round-with-booking")
    assert staff.horizontal_overflow() <= 0, staff.too_wide()
    staff.goto("/admin/audit")
    expect(staff.page.get_by_text(re.compile(r"新建了预约 #\d+（鳌江镇")).first).to_be_visible()
    staff.shot("audit")
    staff.goto("/admin/kb/try?q=" + "我爸中风了能办残疾证吗")
    expect(staff.page.get_by_text(re.compile("把握程度："))).to_be_visible()
    staff.shot("kb-try")
    staff.goto("/admin/settings")
    expect(staff.page.get_by_role("heading", name="模板消息")).to_be_visible()
    staff.shot("settings")
    staff.goto("/admin/dashboard")
    staff.shot("dashboard")


def test_the_simulator_shows_only_new_pushes_also_after_switching_user(browser_for):
    """The fake WeChat server's delivery list is served by a stub: old pushes stay old after a switch."""
    import json
    pushes = {"o_simulator": [{"id": "custom-1", "text": {"content": "旧推送一"}}],
              "o_other": [{"id": "custom-2", "text": {"content": "旧推送二"}}]}

    def sent(route):
        openid = re.search(r"openid=([^&]+)", route.request.url).group(1)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(pushes.get(openid, [])))

    resident = browser_for(phone=True)
    resident.page.route("**/simulator/sent*", sent)
    resident.goto("/")
    expect(resident.page.locator(".msg.bot").first).to_contain_text("欢迎")
    resident.page.get_by_text("设置").click()
    with resident.page.expect_response(re.compile(r"/simulator/sent\?openid=o_other")):
        resident.page.get_by_label("模拟用户 openid").fill("o_other")
    pushes["o_other"].append({"id": "custom-3", "text": {"content": "新推送"}})
    expect(resident.page.get_by_text("【推送】新推送")).to_be_visible()
    assert resident.page.get_by_text(re.compile("旧推送")).count() == 0
