"""Answers as a resident receives them (issue 14): one closing line, the town question, kb check rules."""
from __future__ import annotations

import yaml

from bot.answers import kb_lint
from bot.answers.kb_lint import MAX_SENT_CHARS
from bot.answers.local_facts import CLOSING, LocalFacts
from bot.engine.services import Services
from tests.support.wechat import ChatDriver


def test_unfilled_facts_read_short_and_the_office_is_named_once(chat):
    reply = chat("意外伤害保险出了事怎么理赔")
    assert reply.meta["topic"] == "insurance.accident"
    text = reply.text
    assert text.count("待公布") >= 3 and text.count(CLOSING) == 1
    assert "以县残联最新公布为准" not in text and "——" not in text
    assert "乡镇残联专职委员" in text  # report the same day, whatever else is unfilled
    assert text.splitlines()[-1].endswith("回复 0 转人工。")


def test_filled_facts_drop_the_closing_line(settings, knowledge_copy):
    local = knowledge_copy / "local.yaml"
    data = yaml.safe_load(local.read_text("utf-8"))
    for key in ("county.clf_phone", "cochlear.upgrade.eligibility", "cochlear.upgrade.amount",
                "cochlear.upgrade.how"):
        data[key]["value"] = "0577-63000000" if "phone" in key else "以工作人员填写为准的内容"
    local.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    chat = ChatDriver(Services(settings.with_(knowledge_dir=str(knowledge_copy))))
    text = chat("人工耳蜗体外机升级有补贴吗").text
    assert CLOSING not in text and "待公布" not in text
    assert text.splitlines()[-1] == "回复 0 转人工；县残联电话 0577-63000000"


def test_contact_asks_for_the_town_then_answers_that_town(settings, knowledge_copy):
    local = knowledge_copy / "local.yaml"
    data = yaml.safe_load(local.read_text("utf-8"))
    data["town.鳌江镇.contact"]["value"] = "鳌江镇便民服务中心 3 号窗口，0577-63111111"
    local.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    chat = ChatDriver(Services(settings.with_(knowledge_dir=str(knowledge_copy))))
    asked = chat.click("CONTACT")
    assert "您在哪个乡镇" in asked.text and "0577-63111111" not in asked.text
    town = chat("敖江")  # dictated homophone
    assert "0577-63111111" in town.text and "回复 0 转人工" in town.text.splitlines()[-1]
    other = chat("青街")
    assert "青街畲族乡的联系方式还没有录入" in other.text
    new_question = chat("鳌江的残疾人之家在哪里")  # names a town, but asks something else
    assert new_question.meta["topic"] == "home.center"
    moved_on = chat("护理补贴几级才有")  # not a town: answered as usual
    assert moved_on.meta["topic"] == "subsidy.care"


def test_question_naming_a_town_is_answered_at_once(chat):
    reply = chat("水头镇残联专职委员电话多少")
    assert "水头镇的联系方式" in reply.text and "您在哪个乡镇" not in reply.text
    assert len(reply.text) <= MAX_SENT_CHARS


def test_topic_lists_put_what_people_ask_most_first(chat):
    listing = chat.click("TOPIC_SUBSIDY")
    assert [a for _l, a in listing.options][:2] == ["topic:subsidy.living", "topic:subsidy.care"]


def test_new_services_are_answered(chat):
    for question, topic in (("老人不识字 表格不会填 有人帮忙办吗", "service.paperwork"),
                            ("县图书馆有没有盲文书", "access.info"),
                            ("助残暖心服务驿站在哪里", "service.warm_station"),
                            ("阳光康复家园是做什么的", "rehab.sunshine_home"),
                            ("残疾人交职工养老保险有补贴吗", "insurance.pension"),
                            ("残疾人能不能单独吃低保", "ref.dibao")):
        reply = chat(question)
        assert reply.meta.get("entry") == topic, (question, reply.meta.get("explain"))
    dibao = chat("残疾人能不能单独吃低保").text
    assert "单独申请" in dibao and dibao.count("转人工") == 1 and dibao.count(CLOSING) == 1


# ---- kb check on a small broken knowledge base ------------------------------------------------

def _broken(knowledge_copy, entry_id: str, **changes) -> list[str]:
    path = knowledge_copy / "entries" / f"{entry_id}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    errors, _notes = kb_lint.check(knowledge_copy)
    return [e for e in errors if entry_id in e]


def test_kb_check_passes_on_the_shipped_knowledge(knowledge_copy):
    errors, notes = kb_lint.check(knowledge_copy)
    assert errors == [] and notes


def test_kb_check_measures_the_reply_with_facts_filled_long(knowledge_copy):
    # 480 characters pass while facts are unfilled ("待公布"), not once four addresses are filled in
    answer = "说明。" * 160 + "\n".join(f"地址：{{{{county.clf_address}}}}{i}" for i in range(4))
    errors = _broken(knowledge_copy, "home.center", answer=answer)
    assert any("filled at its longest" in e for e in errors), errors
    assert not any("as they are" in e for e in errors)
    assert len(LocalFacts.load(knowledge_copy).longest().get("county.clf_phone")) == 13


def test_kb_check_finds_a_restarted_numbered_list(knowledge_copy):
    errors = _broken(knowledge_copy, "cert.cancel", answer="怎么办：\n1. 带证件。\n2. 去窗口。\n注意：\n1. 一年内不能再申请。")
    assert any("numbered list goes 2 → 1" in e for e in errors), errors


def test_kb_check_finds_a_repeated_placeholder_line(knowledge_copy):
    answer = "标准：{{subsidy.living.monthly}}\n以县残联为准。\n对象：{{subsidy.living.eligible_groups}}\n以县残联为准。"
    errors = _broken(knowledge_copy, "subsidy.living", answer=answer)
    assert any("repeats “以县残联为准。”" in e for e in errors), errors


def test_kb_check_finds_a_missing_source_and_mark(knowledge_copy):
    assert any("has no source" in e for e in _broken(knowledge_copy, "edu.college", source=""))
    errors = _broken(knowledge_copy, "edu.home_teaching", source="《残疾人教育条例》")
    assert any("reliability mark" in e for e in errors), errors


def test_kb_check_finds_brackets_and_dash_lines(knowledge_copy):
    errors = _broken(knowledge_copy, "culture.sports", answer="到乡镇（街道）报名。\n——\n看通知。")
    assert any("brackets" in e for e in errors) and any("——" in e for e in errors), errors


def test_kb_check_finds_brackets_in_referrals_too(knowledge_copy):
    """A screen reader reads “（” aloud in a referral as much as in an answer."""
    errors = _broken(knowledge_copy, "ref.marriage", answer="到县民政局婚姻登记处（材料以登记处为准）。")
    assert any("ref.marriage" in e and "brackets" in e for e in errors), errors
