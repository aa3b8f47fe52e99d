"""Policy Q&A through the whole engine (real database), and the `wxbot ask/eval` contract."""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from bot.answers import knowledge
from bot.cli.kb import ask, eval_cmd, kb
from bot.models import MessageLog
from bot.engine.services import Services
from handlers.menu import MAIN_OPTIONS


def last_log(services) -> MessageLog:
    with services.sessions() as session:
        return session.scalars(select(MessageLog).order_by(MessageLog.id.desc())).first()


def test_question_gets_the_answer_with_local_facts_filled(chat, services):
    reply = chat("请问残疾证到期了要怎么换？")
    assert reply.meta["kind"] == "answer" and reply.meta["topic"] == "cert.renew"
    assert "{{" not in reply.text and "换" in reply.text
    log = last_log(services)
    assert (log.kind, log.topic) == ("answer", "cert.renew")
    assert log.detail["matched"] and log.detail["candidates"][0]["id"] == "cert.renew"


def test_voice_transcript_with_homophones(chat):
    reply = chat.voice("我爸瘫在床上 平残能不能叫人上门来")
    assert reply.meta["topic"] == "assess.home", reply.meta["explain"]


def test_suggestion_then_pick_answers_that_entry_and_logs_the_question(chat, services):
    reply = chat("评残和办证的事")  # two topics in one breath: ask which
    assert reply.meta["kind"] == "suggest", reply.meta["explain"]
    lines = reply.text.splitlines()
    assert lines[0] == "您是不是想问："
    numbered = [ln for ln in lines if ln[:2] in ("1.", "2.", "3.")]
    assert 2 <= len(numbered) <= 3 and len(reply.options) == len(numbered)
    assert len({a for _l, a in reply.options}) == len(reply.options)  # distinct entries
    assert "回复 0 转人工" in lines[-1]
    second = reply.options[1][1].partition(":")[2]
    picked = chat("2")
    assert picked.meta["kind"] in ("answer", "referral")
    assert picked.meta["entry"] == second
    log = last_log(services)
    assert log.detail["via"] == "pick" and log.detail["entry"] == second
    assert log.detail["question"] == "评残和办证的事"


def test_bare_word_offers_the_whole_list_as_last_option(chat):
    reply = chat("残疾证")
    assert reply.meta["kind"] == "suggest" and len(reply.meta["candidates"]) <= 3
    label, action = reply.options[-1]
    assert action == "cat:cert" and "都不是" in label
    listing = chat(str(len(reply.options)))
    assert "topic:cert.apply" in [a for _l, a in listing.options]


def test_two_questions_in_one_message_answer_the_first_and_offer_the_second(chat, services):
    reply = chat("意外险找谁赔 另外生活补贴在哪里申请")  # round 8: the second question is not lost
    assert reply.meta["topic"] == "insurance.accident", reply.meta["explain"]
    assert reply.meta["explain"]["also"] == "subsidy.living"
    last = reply.text.rstrip().splitlines()[-1]
    assert last.startswith("您还问了：") and "生活补贴" in last and "回复 1" in last
    assert reply.options == [[reply.options[0][0], "topic:subsidy.living"]]
    picked = chat("1")
    assert picked.meta["kind"] == "answer" and picked.meta["entry"] == "subsidy.living"


def test_referral_names_the_other_office(chat):
    reply = chat("身份证丢了去哪补办")
    assert reply.meta["kind"] == "referral" and reply.meta["topic"] is None
    assert "派出所" in reply.text


def test_dibao_for_a_disabled_son_is_sent_to_civil_affairs_not_answered_as_a_subsidy(chat):
    reply = chat("家里困难 想给残疾的儿子申请低保 找谁")
    assert reply.meta["kind"] == "referral" and reply.meta["entry"] == "ref.dibao", reply.meta["explain"]
    assert "民政" in reply.text and "转人工" in reply.text


def test_a_school_question_is_referred_to_the_education_office(chat):
    reply = chat("孩子明年上小学 报名去哪里")
    assert reply.meta["kind"] == "referral" and reply.meta["entry"] == "ref.school", reply.meta["explain"]
    assert "教育" in reply.text and "送教上门" in reply.text


def test_funeral_money_is_referred_with_numbered_offices_and_the_certificate_pointed_to(chat):
    reply = chat("老人走了 丧葬费找哪个部门领")
    assert reply.meta["kind"] == "referral" and reply.meta["entry"] == "ref.funeral", reply.meta["explain"]
    assert "民政" in reply.text and "注销" in reply.text and "回复 0 转人工" in reply.text
    assert "1. " in reply.text and not any(b in reply.text for b in "（）()[]【】")


def test_family_planning_awards_are_sent_to_the_health_office(chat):
    reply = chat("独生子女父母的奖励钱怎么领")
    assert reply.meta["kind"] == "referral" and reply.meta["entry"] == "ref.family_planning", reply.meta["explain"]
    assert "卫生健康" in reply.text and "12345" in reply.text


def test_small_talk_is_followed_by_the_main_menu(chat):
    reply = chat("你好[微笑]")
    assert reply.meta["kind"] == "smalltalk"
    assert reply.options == MAIN_OPTIONS and "1. " in reply.text


@pytest.mark.parametrize("said", ["谢谢你", "好的再见"])
def test_thanks_and_goodbye_end_short_without_the_menu(chat, said):
    reply = chat(said)
    assert reply.meta["kind"] == "smalltalk" and "1. 政策咨询" not in reply.text
    assert "回复“菜单”" in reply.text and "转人工" in reply.text


def test_unknown_question_falls_back_with_a_way_out(chat, services):
    reply = chat("明天平阳会不会下雨")
    assert reply.meta["kind"] == "fallback"
    assert reply.text.rstrip().endswith(services.local_facts().way_out())
    assert reply.options and reply.options[0][1] == "menu:POLICY"


def test_policy_menu_to_category_to_topic(chat):
    menu = chat.click("POLICY")
    labels = [label for label, _a in menu.options]
    assert any("残疾人证" in label for label in labels)
    number = next(i for i, (label, _a) in enumerate(menu.options, 1) if "残疾人证" in label)
    topics = chat(str(number))
    assert any(a == "topic:cert.apply" for _l, a in topics.options)
    pick = next(i for i, (_l, a) in enumerate(topics.options, 1) if a == "topic:cert.apply")
    answer = chat(str(pick))
    assert answer.meta["topic"] == "cert.apply"


@pytest.mark.parametrize("key, topic", [("TOPIC_CERT", "cert.apply"), ("TOPIC_SUBSIDY", "subsidy.care"),
                                        ("TOPIC_REHAB", "rehab.children")])
def test_bottom_menu_topic_lists(chat, key, topic):
    reply = chat.click(key)
    assert f"topic:{topic}" in [a for _l, a in reply.options]
    assert reply.text.splitlines()[1].startswith("1. ")


def test_hot_reload_reaches_the_chat(settings, knowledge_copy, monkeypatch):
    from tests.support.wechat import ChatDriver
    monkeypatch.setattr(knowledge, "RELOAD_CHECK_SECONDS", 0.0)
    chat = ChatDriver(Services(settings.with_(knowledge_dir=str(knowledge_copy))))
    assert chat("导盲犬能不能申请").meta["kind"] != "answer"
    entry = {"id": "life.guide_dog", "kind": "answer", "title": "导盲犬申请", "keywords": ["导盲犬"],
             "questions": ["导盲犬怎么申请", "盲人想要导盲犬", "导盲犬申请条件"],
             "answer": "导盲犬请咨询县残联：{{county.clf_phone}}", "source": "测试", "updated": "2026-11-28"}
    (knowledge_copy / "entries" / "life.guide_dog.yaml").write_text(yaml.safe_dump(entry, allow_unicode=True),
                                                                    "utf-8")
    reply = chat("导盲犬能不能申请")
    assert reply.meta["topic"] == "life.guide_dog" and "导盲犬请咨询县残联" in reply.text


# ---- command-line contract ---------------------------------------------------------------------

FIELDS = ["q", "kind", "topic", "candidates", "score", "reply"]


def test_ask_jsonl_from_stdin_keeps_order_and_fields():
    questions = ["残疾证丢了咋补办", "身份证丢了咋补办", "明天会下雨吗", "谢谢", "残疾人"]
    result = CliRunner().invoke(ask, ["--jsonl", "-"], input="\n".join(questions) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["q"] for r in rows] == questions
    for row in rows:
        assert list(row) == FIELDS
        assert row["kind"] in ("answer", "suggest", "referral", "smalltalk", "fallback", "command")
        assert 0.0 <= row["score"] <= 1.0 and row["reply"]
        assert (row["topic"] is not None) == (row["kind"] in ("answer", "referral"))
        assert row["candidates"] == [] or row["kind"] == "suggest"
    assert rows[0]["kind"] == "answer" and rows[0]["topic"] == "cert.renew"
    assert rows[1]["kind"] == "referral" and rows[1]["topic"] == "ref.id_card"  # which office it sent to
    assert rows[2]["kind"] == "fallback"
    assert rows[3]["kind"] == "smalltalk"
    assert rows[4]["kind"] != "answer"


def test_ask_json_single_question_and_plain_text():
    out = CliRunner().invoke(ask, ["护理补贴几级才有", "--json"]).output
    row = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    assert row["kind"] == "answer" and row["topic"] == "subsidy.care"
    plain = CliRunner().invoke(ask, ["护理补贴几级才有"]).output
    assert row["reply"] in plain


def test_eval_reports_the_figures_and_misses(tmp_path):
    tsv = tmp_path / "q.tsv"
    tsv.write_text("# comment\ncert.renew\t残疾证丢了咋补办\nsubsidy.care\t身份证丢了咋补办\nnone\t明天会下雨吗\n",
                   "utf-8")
    out = CliRunner().invoke(eval_cmd, [str(tsv)]).output
    assert "answered with the right topic" in out and "hit@3" in out
    assert "out-of-scope answered" in out and "身份证丢了咋补办" in out  # listed as a miss
    odd = CliRunner().invoke(eval_cmd, [str(tsv), "--split", "odd", "--quiet"]).output
    assert "2 questions" in odd


def test_kb_check_passes_on_the_shipped_knowledge():
    result = CliRunner().invoke(kb, ["check"])
    assert "problem(s)" in result.output
    assert result.exit_code == 0, result.output
