"""Distress and complaints first: the test set's rates, replies through /wechat, urgent items, alerts."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import ROOT
from bot.models import ConversationState, MessageLog, OutboxMessage
from bot.safety.evaluate import evaluate, read_cases
from bot.safety.models import UrgentItem

CASES = read_cases(Path(__file__).parent / "data" / "distress.tsv")


def items(services) -> list[UrgentItem]:
    with services.sessions() as s:
        return list(s.scalars(select(UrgentItem).order_by(UrgentItem.id)))


def outbox(services, openid: str) -> list[OutboxMessage]:
    with services.sessions() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.openid == openid)))


def test_every_distress_message_is_recognised_and_no_lookalike_is():
    triggers = [c for c in CASES if c[0] != "none"]
    assert len(triggers) >= 60 and len(CASES) - len(triggers) >= 60
    result = evaluate(CASES, ROOT / "knowledge")
    assert result["missed"] == [] and result["wrong"] == [], result
    assert result["false"] == [], result
    assert result["trigger_rate"] == 1.0 and result["false_rate"] == 0.0
    assert result["possible"] == 0  # every listed case is recognised by the word lists, not by resembling itself


def test_the_rates_script_prints_both_rates(capsys):
    from bot.safety.evaluate import main
    assert main([str(Path(__file__).parent / "data" / "distress.tsv")]) == 0
    out = capsys.readouterr().out
    assert "triggers recognised:" in out and "= 100.0%" in out and "false triggers: 0/" in out and "= 0.0%" in out


def test_mid_registration_a_suicidal_message_gets_help_not_the_next_form_step(wechat_http, services):
    wechat_http.text("绑定", openid="o_a")
    asked = wechat_http.text("1", openid="o_a")["text"]
    assert "姓名" in asked
    reply = wechat_http.text("我不想活了，活着没意思", openid="o_a")["text"]
    assert "12356" in reply and "110" in reply and "120" in reply and "联系您" in reply
    assert "回复 0 转人工" in reply and "换个说法" not in reply and "姓名" not in reply
    assert len(reply.splitlines()) <= 6
    with services.sessions() as s:
        assert s.get(ConversationState, "o_a").flow is None  # not put back into the form
        log = s.scalars(select(MessageLog).where(MessageLog.openid == "o_a")).all()[-1]
    assert (log.kind, log.topic) == ("urgent", "self_harm")
    [item] = items(services)
    assert (item.openid, item.category, item.priority, item.count) == ("o_a", "self_harm", 1, 1)
    assert item.handled_at is None and "不想活" in item.text


@pytest.mark.parametrize("said, category, numbers", [
    ("我被家里人打了", "violence", ("110", "12338")),
    ("老人摔倒了起不来怎么办", "medical", ("120",)),
    ("我迷路了 找不到家", "danger", ("110",)),
])
def test_each_kind_of_emergency_gets_its_numbers(wechat_http, services, said, category, numbers):
    reply = wechat_http.text(said, openid="o_b")["text"]
    assert all(n in reply for n in numbers) and "联系您" in reply and "回复 0 转人工" in reply
    assert len(reply.splitlines()) <= 6 and "换个说法" not in reply
    assert [i.category for i in items(services)] == [category]


def test_dictated_homophones_and_a_numbered_menu_still_reach_help(chat, services):
    chat("菜单")  # a numbered list is open: the message below is not a pick
    assert "12356" in chat.voice("我不想或了").text
    assert "120" in chat.voice("我妈摔到了起不来").text
    assert "110" in chat.voice("俺男人天天揍俺").text
    assert sorted(i.category for i in items(services)) == ["medical", "self_harm", "violence"]
    with services.sessions() as s:
        assert s.get(ConversationState, "o_resident").options == []  # the menu's picks are void now
    assert not chat("1").meta["route"].startswith("pick:")


def test_repeated_messages_join_one_open_item_and_numbers_are_masked(chat, services):
    chat("我不想活了 我电话13812345678")
    chat("真的活不下去了")
    chat("家暴")
    first, second = items(services)
    assert (first.category, first.count) == ("self_harm", 2) and second.category == "violence"
    assert "13812345678" not in first.text and "138****5678" in first.text and "活不下去" in first.text
    with services.sessions.begin() as s:  # once handled, a new message opens a new item
        s.get(UrgentItem, first.id).handled_at = first.created_at
    chat("我想死")
    assert [i.category for i in items(services)] == ["self_harm", "violence", "self_harm"]


def test_policy_lookalikes_get_the_policy_answer_and_raise_nothing(chat, services):
    for said in ("意外险怎么赔", "精神残疾人免费服药怎么申请", "摔伤了能评残吗", "防走失手环怎么申请",
                 "家暴怎么申请法律援助"):
        reply = chat(said)
        assert reply.meta.get("kind") != "urgent", said
        assert "12356" not in reply.text and "12338" not in reply.text, said
    assert "保险" in chat("意外险怎么赔").text
    assert items(services) == []


@pytest.mark.parametrize("said", ["你们服务太差了", "电话没人接", "我要找人工客服", "找你们领导", "我要投诉你们"])
def test_complaints_are_acknowledged_handed_to_a_person_and_listed(chat, services, said):
    reply = chat(said)
    assert reply.transfer and "换个说法" not in reply.text
    assert "给您添麻烦" in reply.text and "转接人工" in reply.text
    [sent] = [o for o in outbox(services, "o_resident") if o.source == "human"]
    assert "给您添麻烦" in sent.payload["text"]["content"]  # the words the resident actually receives
    [item] = items(services)
    assert (item.category, item.priority) == ("complaint", 2)


def test_the_plain_way_out_is_not_listed_as_a_complaint(chat, services):
    assert chat("0").transfer and chat("人工").transfer
    assert items(services) == []


def test_staff_are_alerted_once_per_item_without_the_residents_words(chat, services, monkeypatch):
    monkeypatch.setenv("STAFF_ALERT_OPENIDS", "o_staff1, o_staff2")
    chat("我不想活了 电话13812345678")
    chat("活着没意思")
    chat("服务太差")  # complaints are listed, not alerted
    for staff in ("o_staff1", "o_staff2"):
        [alert] = outbox(services, staff)
        text = alert.payload["text"]["content"]
        assert "紧急求助" in text and "轻生" in text and "不想活" not in text and "1381" not in text
    [item] = [i for i in items(services) if i.priority == 1]
    assert alert.source == f"urgent:{item.id}"


def test_delete_my_data_and_retention_remove_the_residents_words(chat, services):
    import datetime as dt

    from bot.db import utcnow
    from bot.privacy.forget import forget_core
    from bot.privacy.retention import purge_old_rows
    chat("我不想活了")
    chat("服务太差", openid="o_other")
    chat("我被打了", openid="o_other")
    mine, complaint, beaten = items(services)
    with services.sessions.begin() as s:
        s.get(UrgentItem, complaint.id).handled_at = utcnow() - dt.timedelta(days=400)
        s.get(UrgentItem, complaint.id).action_taken = "已回电道歉"
        forget_core(s, "o_resident")
    [kept, old, other] = items(services)
    assert kept.handled_at is None and "不想活" not in kept.text and kept.category == "self_harm"  # staff still call
    purge_old_rows(services.sessions, retention_days=180)
    [_, old, other] = items(services)
    assert old.text == "" and old.action_taken == "已回电道歉" and "被打" in other.text


def test_a_complaint_through_wechat_is_handed_to_customer_service(wechat_http, services):
    reply = wechat_http.text("你们服务太差了，电话打不通", openid="o_c", encrypt=True)
    assert reply["type"] == "transfer_customer_service"
    [sent] = outbox(services, "o_c")
    assert "给您添麻烦" in sent.payload["text"]["content"] and "12345" in sent.payload["text"]["content"]
    assert [(i.openid, i.category) for i in items(services)] == [("o_c", "complaint")]


def test_a_message_that_only_resembles_distress_keeps_its_answer_with_a_safety_line(settings, knowledge_copy):
    from bot.engine.services import Services
    from tests.support.wechat import ChatDriver
    (knowledge_copy / "distress.yaml").write_text(
        "categories:\n  violence:\n    label: 家暴、虐待\n    priority: 1\n"
        "    examples: [我被儿子锁在屋里好几天了]\n", "utf-8")  # no word lists: only the resemblance layer
    services = Services(settings.with_(knowledge_dir=str(knowledge_copy)))
    reply = ChatDriver(services)("我奶奶被儿子锁在屋里好几天")
    assert reply.text.splitlines()[0] == "如果您正在受到伤害，请拨打 110；妇联维权热线 12338。"
    assert reply.meta.get("kind") != "urgent" and len(reply.text.splitlines()) > 1  # the ordinary answer follows
    [item] = items(services)
    assert item.priority == 2 and item.matched == "like:我被儿子锁在屋里好几天了"
    assert "12338" not in ChatDriver(services)("残疾证怎么办").text
