"""A local fact filled so long that an answer would be cut by WeChat is refused in the console."""
from __future__ import annotations

import pytest

from pathlib import Path

import yaml

pytestmark = pytest.mark.knowledge_copy


def test_a_fact_that_would_push_an_answer_past_600_characters_is_refused(settings, console):
    writer = console("writer")
    wall = "\n".join(f"第{i}类：每人每月一千二百三十四元，二〇二六年一月起执行" for i in range(1, 13))
    page = writer.post("/admin/facts/subsidy.nursing.tiers", {"value": wall}).text
    assert "没有保存" in page and "重度残疾人护理补贴" in page
    local = yaml.safe_load((Path(settings.knowledge_dir) / "local.yaml").read_text("utf-8"))
    assert local["subsidy.nursing.tiers"]["value"] is None
    short = writer.post("/admin/facts/subsidy.nursing.tiers", {"value": "一档每人每月 300 元，二档 200 元"})
    assert short.status_code == 302


def test_an_answer_that_fits_only_while_facts_are_unfilled_is_refused(settings, console):
    from tests.test_admin_kb import _edit_form
    writer = console("writer")
    form = _edit_form(writer.get("/admin/kb/entry/culture.sports/edit").text)
    # 520 characters, plus three facts that read "待公布" today and up to 100 characters once filled
    form["answer"] = "说明。" * 170 + "\n" + "\n".join(["名单：{{subsidy.nursing.tiers}}"] * 3)
    page = writer.post("/admin/kb/entry/culture.sports/edit", form).text
    assert "本地信息都填上以后" in page
    path = Path(settings.knowledge_dir) / "entries" / "culture.sports.yaml"
    assert "说明。说明。" not in path.read_text("utf-8")


def test_a_town_contact_is_filled_in_the_console(settings, console):
    writer = console("writer")
    page = writer.get("/admin/facts").text
    assert "鳌江镇便民服务中心残联窗口和专职委员电话" in page
    resp = writer.post("/admin/facts/town.鳌江镇.contact", {"value": "鳌江镇便民服务中心 2 号窗口，0577-63222222"})
    assert resp.status_code == 302
    local = yaml.safe_load((Path(settings.knowledge_dir) / "local.yaml").read_text("utf-8"))
    assert local["town.鳌江镇.contact"]["value"].endswith("0577-63222222")
