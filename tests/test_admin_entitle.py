"""Staff read the 政策体检 rules, editors try a situation, and the dashboard counts which benefits were shown."""
from __future__ import annotations

import pytest
import yaml

from tests.support.wechat import ChatDriver

pytestmark = pytest.mark.knowledge_copy


def test_viewer_reads_the_rules_in_plain_words(console):
    page = console("reader").get("/admin/entitlements")
    assert page.status_code == 200
    html = page.text
    assert "重度残疾人护理补贴" in html and "残疾等级：一级或二级" in html and "符合条件" in html
    assert "不包括 家庭：特困" in html and "[B]" in html
    assert 'href="/admin/entitlements"' in html  # in the console menu
    assert "试一个情况</a>" not in html  # editors only
    assert console("reader").get("/admin/entitlements/try").status_code == 403


def test_editor_tries_a_situation_and_sees_the_reply(console):
    page = console("writer").get("/admin/entitlements/try", query_string={
        "cert": "有证", "huji": "平阳", "category": "智力", "grade": "三级", "age": "18-59",
        "household": "低保边缘", "situation": "都不是"})
    assert page.status_code == 200
    html = page.text
    assert "单独申请低保" in html and "低保边缘家庭的三级智力、精神残疾人" in html
    assert "居民会收到" in html and "回复数字看怎么申请" in html


def test_a_broken_rule_is_shown_on_the_rules_page(console, settings):
    path = f"{settings.knowledge_dir}/entitlements.yaml"
    data = yaml.safe_load(open(path, encoding="utf-8"))
    data["rules"][0]["opens"] = "no.such_entry"
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, allow_unicode=True)
    html = console("reader").get("/admin/entitlements").text
    assert "规则有问题" in html and "opens unknown entry no.such_entry" in html


def test_dashboard_counts_benefits_shown_without_who(console, app):
    chat = ChatDriver(app.extensions["wxbot"])
    for said in ("我能领什么", "1", "1", "4", "1", "3", "4", "2"):
        chat(said, openid="o_dash")
    html = console("reader").get("/admin/dashboard").text
    section = html.split("最近 30 天政策体检列出的待遇", 1)[1]
    assert "重度残疾人护理补贴" in section and "o_dash" not in html
