"""Console knowledge pages: dashboard numbers, entry edits with history, trying questions, unanswered
questions and numbered picks turned into sample questions, local facts — on a temporary knowledge/ copy."""
from __future__ import annotations

import pytest

import re
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.answers import knowledge
from bot.admin import kb_store
from bot.admin.models import KnowledgeEdit
from bot.config import ROOT
from bot.models import MessageLog
from tests.support.wechat import ChatDriver

pytestmark = pytest.mark.knowledge_copy


def _entry(settings, entry_id: str) -> dict:
    return yaml.safe_load((Path(settings.knowledge_dir) / "entries" / f"{entry_id}.yaml").read_text("utf-8"))


def _edit_form(page: str) -> dict:
    """The fields of the entry edit form as the browser would send them back."""
    data = {name: value for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)}
    for name, value in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>\n?(.*?)</textarea>', page, re.S):
        data[name] = value.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">") \
            .replace("&amp;", "&")
    return data


def test_dashboard_counts_and_chart(app, services, console):
    chat = ChatDriver(services, "o_dash")
    chat("办残疾证要带什么材料")
    chat("明天会不会下雨")  # (路灯 is referred to the village since round 5)
    chat("补贴")
    page = console("reader").get("/admin/dashboard").text
    assert "今天收到的消息" in page and '<svg class="chart"' in page and 'role="img"' in page
    assert "<caption>每天的消息数</caption>" in page
    assert re.search(r'<span class="n">3</span><span class="l">今天收到的消息', page)
    assert "明天会不会下雨" in page  # listed as unanswered


def test_edit_entry_writes_yaml_and_history(app, settings, console):
    writer = console("writer")
    page = writer.get("/admin/kb/entry/cert.apply/edit").text
    form = _edit_form(page)
    form["answer"] = form["answer"].replace("证件不收费。", "证件不收费，也不用托人。")
    form["note"] = "补一句"
    resp = writer.post("/admin/kb/entry/cert.apply/edit", form)
    assert resp.status_code == 302, resp.text
    saved = _entry(settings, "cert.apply")
    assert "也不用托人" in saved["answer"] and saved["questions"][0] == "第一次办残疾证要怎么弄"
    # The repository's own file is untouched.
    assert "也不用托人" not in (ROOT / "knowledge" / "entries" / "cert.apply.yaml").read_text("utf-8")
    with app.extensions["wxbot"].sessions() as db:
        edit = db.scalar(select(KnowledgeEdit).where(KnowledgeEdit.target == "cert.apply"))
    assert edit.actor == "writer" and "也不用托人" in edit.after["answer"] and edit.question == "补一句"
    history = writer.get(f"/admin/kb/edit/{edit.id}").text
    assert "也不用托人" in history and "<ins>" in history
    # The matcher's bundle reloads from the changed file.
    assert "也不用托人" in knowledge.bundle(app.extensions["wxbot"]).kb.get("cert.apply").answer


def test_edit_refused_when_file_changed_meanwhile_or_invalid(settings, console):
    writer = console("writer")
    form = _edit_form(writer.get("/admin/kb/entry/cert.apply/edit").text)
    path = Path(settings.knowledge_dir) / "entries" / "cert.apply.yaml"
    path.write_text(path.read_text("utf-8").replace("证件不收费。", "证件免费。"), "utf-8")
    resp = writer.post("/admin/kb/entry/cert.apply/edit", form)
    assert resp.status_code == 200 and "刚被别人改过" in resp.text
    form = _edit_form(writer.get("/admin/kb/entry/cert.apply/edit").text)
    form["answer"] = "太长了" * 300
    resp = writer.post("/admin/kb/entry/cert.apply/edit", form)
    assert "超过 600 字" in resp.text and "太长了" not in path.read_text("utf-8")


def test_try_a_question_shows_the_explanation(console):
    page = console("reader").get("/admin/kb/try", query_string={"q": "残疾证怎么办理"}).text
    assert "结果：直接答复" in page and "cert.apply" in page and "居民会收到" in page
    assert "居民的话最像示例问题“" in page and re.search("把握程度：(很有把握|比较有把握)", page)
    assert "cos_q" not in page  # the matcher's numbers are for admins, behind 技术细节
    unsure = console("reader").get("/admin/kb/try", query_string={"q": "补贴"}).text
    assert "把握程度：不太确定" in unsure and "让居民自己选" in unsure
    admin = console("boss").get("/admin/kb/try", query_string={"q": "残疾证怎么办理"}).text
    assert "<summary>技术细节" in admin and "cos_q" in admin


def test_unanswered_question_becomes_sample_question_in_two_clicks(app, services, settings, console):
    ChatDriver(services, "o_u1")("楼下的盲道被占了找谁")
    ChatDriver(services, "o_u2")("楼下的盲道被占了找谁")
    writer = console("writer")
    listing = writer.get("/admin/unanswered").text
    assert "楼下的盲道被占了找谁" in listing
    link = re.search(r'href="(/admin/unanswered/add\?log_id=\d+)"', listing).group(1)   # click 1
    page = writer.get(link).text
    assert 'name="entry_id"' in page and "楼下的盲道被占了找谁" in page
    log_id = re.search(r"log_id=(\d+)", link).group(1)
    resp = writer.post("/admin/unanswered/add", {"log_id": log_id, "entry_id": "rights.complaint",       # click 2
                                                 "question": "楼下的盲道被占了找谁"})
    assert resp.status_code == 302
    assert "楼下的盲道被占了找谁" in _entry(settings, "rights.complaint")["questions"]
    assert 'data-label="问题">楼下的盲道被占了找谁<' not in writer.get("/admin/unanswered").text
    assert ChatDriver(services, "o_u3")("楼下的盲道被占了找谁").meta["topic"] == "rights.complaint"


def test_sample_question_never_keeps_an_id_number(services, settings, console):
    ChatDriver(services, "o_id")("我的身份证号330327199001011234能查吗")
    writer = console("writer")
    listing = writer.get("/admin/unanswered").text
    assert "330327199001011234" not in listing and "3303**********1234" in listing
    log_id = re.search(r'href="/admin/unanswered/add\?log_id=(\d+)"', listing).group(1)
    page = writer.get(f"/admin/unanswered/add?log_id={log_id}").text
    assert "330327199001011234" not in page
    writer.post("/admin/unanswered/add", {"log_id": log_id, "entry_id": "cert.number",
                                          "question": "我的身份证号330327199001011234能查吗"})
    questions = _entry(settings, "cert.number")["questions"]
    assert "我的身份证号3303**********1234能查吗" in questions
    assert not any("330327199001011234" in q for q in questions)


def test_numbered_pick_becomes_sample_question(services, settings, console):
    chat = ChatDriver(services, "o_pick")
    reply = chat("补贴")
    assert reply.meta["kind"] == "suggest"
    chat("2")
    writer = console("writer")
    listing = writer.get("/admin/unanswered").text
    match = re.search(r'href="/admin/unanswered/add\?log_id=(\d+)&amp;entry_id=([\w.]+)"', listing)
    assert match, listing
    page = writer.get(f"/admin/unanswered/add?log_id={match.group(1)}&entry_id={match.group(2)}").text
    assert re.search(rf'<option selected value="{re.escape(match.group(2))}"|value="{re.escape(match.group(2))}" selected', page)
    writer.post("/admin/unanswered/add", {"log_id": match.group(1), "entry_id": match.group(2), "question": "补贴"})
    assert "补贴" in _entry(settings, match.group(2))["questions"]


def test_dismissed_question_leaves_the_list(services, console):
    ChatDriver(services, "o_d")("今天天气怎么样")
    writer = console("writer")
    assert "今天天气怎么样" in writer.get("/admin/unanswered").text
    log_id = re.search(r'name="log_id" value="(\d+)"', writer.get("/admin/unanswered").text).group(1)
    writer.post("/admin/unanswered/dismiss", {"log_id": log_id})
    assert 'data-label="问题">今天天气怎么样<' not in writer.get("/admin/unanswered").text


def test_local_fact_edit_keeps_comments_and_highlights_empty_ones(app, settings, console):
    writer = console("writer")
    page = writer.get("/admin/facts").text
    assert 'class="empty-fact"' in page and "还没填" in page
    before = (Path(settings.knowledge_dir) / "local.yaml").read_text("utf-8")
    resp = writer.post("/admin/facts/county.clf_phone", {"value": "0577-63721234（办公室）"})
    assert resp.status_code == 302
    text = (Path(settings.knowledge_dir) / "local.yaml").read_text("utf-8")
    assert text.count("\n#") == before.count("\n#")  # every comment kept
    assert yaml.safe_load(text)["county.clf_phone"]["value"] == "0577-63721234（办公室）"
    assert 'id="fact-county.clf_phone" class="empty-fact"' not in writer.get("/admin/facts").text
    services = app.extensions["wxbot"]
    assert "0577-63721234" in knowledge.bundle(services).local.render("{{county.clf_phone}}")
    writer.post("/admin/facts/county.clf_phone", {"value": ""})
    assert yaml.safe_load((Path(settings.knowledge_dir) / "local.yaml").read_text("utf-8"))["county.clf_phone"]["value"] is None


def test_export_rewrites_files_from_the_database(app, settings, console):
    writer = console("writer")
    writer.post("/admin/facts/county.office_hours", {"value": "周一至周五 8:30—17:00"})
    form = _edit_form(writer.get("/admin/kb/entry/cert.apply/edit").text)
    form["title"] = "残疾人证新办理"
    writer.post("/admin/kb/entry/cert.apply/edit", form)
    # Another host: its knowledge/ is the repository's version again.
    for name in ("local.yaml", "entries/cert.apply.yaml"):
        (Path(settings.knowledge_dir) / name).write_text((ROOT / "knowledge" / name).read_text("utf-8"), "utf-8")
    resp = console("boss").post("/admin/kb/export")
    assert resp.status_code == 302
    assert _entry(settings, "cert.apply")["title"] == "残疾人证新办理"
    local = yaml.safe_load((Path(settings.knowledge_dir) / "local.yaml").read_text("utf-8"))
    assert local["county.office_hours"]["value"] == "周一至周五 8:30—17:00"


def test_yaml_round_trip_keeps_hand_written_files_byte_identical():
    for path in sorted((ROOT / "knowledge" / "entries").glob("*.yaml"))[:10]:
        data = yaml.safe_load(path.read_text("utf-8"))
        assert yaml.safe_load(kb_store.to_yaml(data)) == data


def test_message_log_for_dashboard_is_real(services):
    ChatDriver(services, "o_x")("补贴")
    with services.sessions() as db:
        assert db.scalar(select(MessageLog.kind).where(MessageLog.openid == "o_x")) == "suggest"


def test_unanswered_page_never_shows_a_number_said_aloud_or_typed(services, console):
    ChatDriver(services, "o_v1").voice("楼下盲道被占了我电话是一三八六七八九一二三四找谁")
    ChatDriver(services, "o_v2")("楼下盲道被占了 身份证 330326198001014010 找谁")
    for who in ("reader", "writer"):
        page = console(who).get("/admin/unanswered").text
        assert "楼下盲道被占了" in page, who
        assert "一三八六七八九一二三四" not in page and "13867891234" not in page and "330326198001014010" not in page
        assert "138****1234" in page and "3303**********4010" in page
    link = re.search(r'href="(/admin/unanswered/add\?log_id=\d+)"', page).group(1)
    shown = console("writer").get(link).text
    assert "13867891234" not in shown and "一三八六七八九" not in shown and "330326198001014010" not in shown
