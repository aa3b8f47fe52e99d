"""Entitlement rules: 43 profiles give the expected benefits; answers in words; kb check finds mistakes."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.answers import kb_lint, knowledge
from bot.answers.local_facts import LocalFacts
from bot.config import ROOT
from bot.entitle import rules as ent
from bot.entitle import questions as q
from bot.entitle import rules_check as entitlements_check
from bot.entitle.render import first_page, next_page
from bot.entitle.rules_check import reachable_profiles

FIELDS = ["cert", "huji", "category", "grade", "age", "household", "situation"]
TABLE = Path(__file__).parent / "data" / "entitlement_profiles.tsv"


def _rows():
    lines = [l for l in TABLE.read_text("utf-8").splitlines() if l and not l.startswith("#")][1:]
    return [l.split("\t") for l in lines]


RULES = ent.load(ROOT / "knowledge")
REACHABLE = {tuple(p[f] for f in FIELDS) for p in reachable_profiles()}


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r[0])
def test_profile_gets_the_expected_benefits(row):
    name, *values, expected, cautions = row
    assert tuple(values) in REACHABLE, "the questions cannot produce this profile"
    hits, notes = ent.evaluate(RULES, dict(zip(FIELDS, values)))
    got = " ".join(f"{h.rule.id}{'+' if h.mark == '符合' else '?'}" for h in hits)
    assert got == expected
    assert (" ".join(c.id for c in notes) or "-") == cautions


def test_the_table_covers_the_edge_cases_of_the_issue():
    rows = _rows()
    assert len(rows) >= 40
    listed = {r[0]: r[-2].split() for r in rows}
    assert "care_subsidy+" in listed["二级视力都不是在工作"]  # 重度 → 护理补贴, whatever the income
    assert "living_subsidy+" in listed["四级听力低保"]  # 低保 + 证 → 生活补贴
    assert "dibao_alone?" in listed["一级智力低保边缘在家"] and "dibao_alone?" in listed["三级精神低保边缘"]
    assert not any(b.startswith("dibao_alone") for b in listed["三级肢体低保边缘"])  # 三级 only 智力/精神
    assert {"child_rehab?", "cochlear?"} <= set(listed["两岁听力正在办"])
    assert listed["三岁孤独症无证低保"][:2] == ["cert_first+", "child_rehab+"]  # no certificate: apply first
    assert "home_teaching?" in listed["十二岁重度肢体在家没上学"] and "special_school?" in listed["十岁智力特校"]
    assert "college+" in listed["大学生持证二级视力"]
    assert {"training?", "job_search+"} <= set(listed["成年无证想找工作"])
    assert "elderly?" in listed["七十岁一级肢体低保"]
    assert all("+" not in b for b in listed["外地户口正在办低保"] + listed["外地证一级"])  # not Pingyang: 可能 only


def test_elderly_and_disability_subsidies_come_with_the_choose_one_caution():
    hits, notes = ent.evaluate(RULES, {"cert": "有证", "huji": "平阳", "category": "肢体", "grade": "一级",
                                       "age": "60+", "household": "低保", "situation": "无"})
    assert [c.id for c in notes] == ["elderly_choose", "both_subsidies"]
    reply = first_page(hits, notes, "您", LocalFacts({"subsidy.nursing.tiers": {"value": "一级每人每月 300 元"}}))
    assert "一般只领一项" in reply.text and "以审核为准" in reply.text
    assert "1. 重度残疾人护理补贴：符合条件。一级、二级重度残疾，不看家里收入。平阳：一级每人每月 300 元" in reply.text
    assert "平阳：" not in reply.text.split("\n")[2]  # unfilled facts add nothing, never a guess


@pytest.mark.parametrize("step,said,value", [
    ("grade", "一级", "一级"), ("grade", "2", "二级"), ("grade", "三级残疾", "三级"), ("grade", "不知道", "不清楚"),
    ("category", "肢体的", "肢体"), ("category", "孩子是自闭症", "精神"), ("category", "4", "肢体"),
    ("age", "三岁", "0-6"), ("age", "十岁", "7-17"), ("age", "45", "18-59"), ("age", "八十多岁", "60+"),
    ("age", "2", "7-17"), ("household", "低保户", "低保"), ("household", "低边", "低保边缘"),
    ("household", "都不是", "都不是"), ("household", "５", "不清楚"), ("who", "给我儿子查", "家属"),
    ("cert", "正在办", "正在办"), ("cert", "1", "有证:平阳"), ("huji", "不在平阳", "外地"),
    ("household", "不是低保户", "都不是"), ("huji", "不是平阳的", "外地"), ("cert", "有，平阳的", "有证:平阳"),
    ("cert", "还没办证", "没有"), ("situation", "在上班", "在工作"), ("situation", "想找个工作", "想找工作"),
])
def test_answers_in_words_or_numbers(step, said, value):
    assert q.read(step, {"age": "18-59"}, said) == value


def test_never_more_than_seven_questions():
    for profile in reachable_profiles():
        asked = [s for s in q.ORDER if s != "who"]
        # who + the questions this profile was asked (skipped ones are filled by complete())
        count = 1 + sum(1 for s in asked if not _skipped(s, profile))
        assert count <= 7, profile


def _skipped(step: str, profile: dict) -> bool:
    if step == "grade":
        return profile["cert"] != "有证"
    if step == "situation":
        return profile["age"] not in ("7-17", "18-59")
    if step == "huji":
        return profile["cert"] == "有证"
    return False


def test_long_results_are_split_and_both_messages_stay_short():
    everything = {f: ent.UNKNOWN for f in FIELDS}
    hits, notes = ent.evaluate(RULES, everything)
    first = first_page(hits, notes, "您", LocalFacts({}))
    assert len(first.text) <= 600 and "更多" in first.text
    start = int(first.options[-1][1].split(":", 1)[1].split("|")[0])
    second = next_page(hits, start, LocalFacts({}))
    assert len(second.text) <= 600 and f"{start + 1}. " in second.text
    assert second.options[:start] == first.options[:start]  # the first message's numbers still work


def _check(folder):
    kb = knowledge.KnowledgeBase.load(folder)
    return entitlements_check.check(folder, kb.entries, LocalFacts.load(folder).facts)


def test_kb_check_finds_unknown_entries_fields_values_and_unreachable_rules(knowledge_copy):
    assert _check(knowledge_copy) == []
    path = knowledge_copy / "entitlements.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["rules"][0]["opens"] = "cert.nonexistent"
    data["rules"][1]["when"][0]["if"]["income"] = "高"
    data["rules"][2]["when"][0]["if"]["grade"] = ["一级", "五级"]
    data["rules"].append({"id": "impossible", "name": "没证但是一级", "opens": "cert.apply", "source": "测试 [C]",
                          "when": [{"if": {"cert": "没有", "grade": "一级"}, "mark": "符合", "why": "不可能"}]})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    errors, _notes = kb_lint.check(knowledge_copy)  # what `wxbot kb check` prints
    problems = "\n".join(errors)
    assert "unknown entry cert.nonexistent" in problems
    assert "unknown field 'income'" in problems
    assert "unknown value 五级 for grade" in problems
    data["rules"][0]["opens"] = "cert.apply"
    del data["rules"][1]["when"][0]["if"]["income"]
    data["rules"][2]["when"][0]["if"]["grade"] = ["一级", "二级"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert _check(knowledge_copy) == ["entitlements.yaml: rule impossible case 1 can never be reached by the "
                                      "questions (no answers meet it outright)"]
