"""The console reads as plain Chinese: audit sentences for every action code, no Python values."""
from __future__ import annotations

import ast
import re

import pytest

from bot.admin.audit_text import ACTIONS
from bot.config import ROOT
from bot.devtools.demo_seed import LOGIN, PASSWORD, first_person, seed_demo
from tests.support.console import Console

pytestmark = pytest.mark.knowledge_copy


def _codes_in_source() -> set[str]:
    """The third argument of every audit(...) / _audit(...) call, constants resolved by name."""
    trees = [ast.parse(p.read_text("utf-8")) for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py")]
    constants = {t.id: node.value.value for tree in trees for node in ast.walk(tree)
                 if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                 for t in node.targets if isinstance(t, ast.Name)}
    codes = set()
    for tree in trees:
        for node in ast.walk(tree):
            func = getattr(node, "func", None)
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if not isinstance(node, ast.Call) or name not in ("audit", "_audit", "record") or len(node.args) < 3:
                continue
            for part in ast.walk(node.args[2]):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    codes.add(part.value)
                elif isinstance(part, (ast.Name, ast.Attribute)):
                    codes.add(constants.get(getattr(part, "id", None) or part.attr, ""))
    return {c for c in codes if re.fullmatch(r"[a-z_]+\.[a-z_.]+", c or "")}


def test_every_audit_action_in_the_code_has_a_sentence():
    missing = sorted(_codes_in_source() - set(ACTIONS))
    assert not missing, f"add a sentence to bot/admin/audit_text.py ACTIONS for: {missing}"


def test_the_audit_page_tells_what_happened_in_sentences(app, chat):
    services = app.extensions["wxbot"]
    seed_demo(services.settings, services.sessions)
    p = first_person()
    for said in ("注册", "1", p["name"], p["id_number"], p["phone"], "鳌江", "预约评残", "1", "4",
                 "鳌江镇示例村 1 号", "1", "1", "确认"):
        chat(said)
    console = Console(app.test_client())
    assert console.login(LOGIN, PASSWORD).status_code == 302
    page = console.get("/admin/audit").text
    assert re.search(r"新建了预约 #\d+（鳌江镇、昆阳镇、水头镇 \d+月\d+日）", page), page
    assert re.search(r"新建了评残轮次 #\d+（萧江镇、腾蛟镇、万全镇 \d+月\d+日，6 个名额，第二评定组，只评肢体、智力、精神）", page)
    assert "演示账号" in page and "登录了后台" in page and "居民" in page
    for raw in ("booking.create</td>", "towns=", "None", "['", "True", "cert_record:"):
        assert raw not in page, raw


def test_settings_show_staff_what_matters_and_keep_the_environment_for_admins(app):
    from tests.support.console import create_accounts, PASSWORD
    create_accounts(app.extensions["wxbot"])
    reader = Console(app.test_client())
    reader.login("reader", PASSWORD)
    page = reader.get("/admin/settings").text
    assert "办证进度通知" in page and "未设置" in page and "48 小时" in page
    assert "今天还能群发 1 次" in page and "技术信息" not in page and "DATABASE_URL" not in page
    boss = Console(app.test_client())
    boss.login("boss", PASSWORD)
    page = boss.get("/admin/settings").text
    assert "<summary>技术信息（管理员）</summary>" in page and "DATABASE_URL" in page


def test_a_long_unanswered_message_is_cut_with_展开_on_the_dashboard(app, chat):
    from tests.support.console import create_accounts, PASSWORD
    create_accounts(app.extensions["wxbot"])
    long_text = "我想问一下" + "那个事情到底怎么弄才好呢" * 150
    chat(long_text[:2000])
    boss = Console(app.test_client())
    boss.login("boss", PASSWORD)
    page = boss.get("/admin/dashboard").text
    assert '<details class="more"><summary>我想问一下那个事情' in page and "展开" in page
    assert page.count("那个事情到底怎么弄才好呢") > 20  # the whole text is still there, behind 展开
