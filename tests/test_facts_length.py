"""A local fact filled so long that an answer would be cut by WeChat is refused in the console."""
from __future__ import annotations

from pathlib import Path

import yaml

from tests.fixtures_admin import console, instant_reload, settings, staff  # noqa: F401


def test_a_fact_that_would_push_an_answer_past_600_characters_is_refused(settings, console):
    writer = console("writer")
    wall = "\n".join(f"第{i}类：每人每月一千二百三十四元，二〇二六年一月起执行" for i in range(1, 13))
    page = writer.post("/admin/facts/subsidy.nursing.tiers", {"value": wall}).text
    assert "没有保存" in page and "重度残疾人护理补贴" in page
    local = yaml.safe_load((Path(settings.knowledge_dir) / "local.yaml").read_text("utf-8"))
    assert local["subsidy.nursing.tiers"]["value"] is None
    short = writer.post("/admin/facts/subsidy.nursing.tiers", {"value": "一档每人每月 300 元，二档 200 元"})
    assert short.status_code == 302
