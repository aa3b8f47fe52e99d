"""Certificate progress in plain words: steps, durations, return reasons, masked numbers, renewal hints."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.db import local_now
from bot.people.status import add_workdays
from tests.test_people_helpers import load, make_id, record, register


def _registered(chat, services, **fields):
    id18 = fields.pop("id_number", make_id(501))
    load(services, [record(id_number=id18, name="张三", **fields)])
    assert "核对一致" in register(chat, "张三", id18).text
    return id18


def test_public_notice_step_with_its_date_what_next_and_how_long(chat, services):
    _registered(chat, services, step="公示", step_date="2026-05-06")  # a Wednesday
    text = chat("办证进度").text
    assert "第一次申请残疾人证（新办）" in text
    assert "评定结果正在村（社区）公示" in text and "从 2026年5月6日 开始" in text
    assert "一般 5 个工作日，预计 5月13日前后结束" in text and "10 个工作日" in text
    assert text.rstrip().endswith(("转人工", "转县残联")) or "回复 0 转人工" in text


def test_returned_application_gives_the_reason_and_what_to_do(chat, services):
    _registered(chat, services, step="退回", reason="照片不是白底")
    text = chat("查询进度").text
    assert "申请被退回了" in text and "退回原因：照片不是白底" in text and "补齐或改正材料" in text


def test_issued_certificate_is_masked_with_expiry_and_renewal_hint(chat, services):
    id18 = make_id(502)
    expiry = local_now().date() + dt.timedelta(days=30)
    _registered(chat, services, id_number=id18 + "42", business="换领", step="已发证", step_date="2016-05-06",
                issued="2016-05-06", valid=expiry.isoformat())
    text = chat.click("CERT_STATUS").text
    assert f"残疾人证号：3303{'*' * 12}{id18[-2:]}42" in text and id18 not in text
    assert f"有效期到：{expiry.year}年{expiry.month}月{expiry.day}日" in text
    assert "还有 30 天到期" in text and "换证" in text


def test_no_renewal_hint_far_from_expiry_or_while_renewing(chat, services):
    id18 = make_id(503)
    soon = (local_now().date() + dt.timedelta(days=20)).isoformat()
    load(services, [record(id_number=id18 + "42", name="张三", step="已发证", issued="2016-05-06", valid=soon),
                    record(id_number=id18, name="张三", business="换领", step="审核", step_date="2026-05-06")])
    register(chat, "张三", id18)
    text = chat("我的证件").text
    assert "县残联正在审核" in text.split("另有")[0]  # the open application comes first
    assert "另有一条记录：新办，已发证" in text and "天到期" not in text and "提醒" not in text


def test_not_registered_is_offered_registration_then_comes_back_to_status(chat, services):
    id18 = make_id(504)
    load(services, [record(id_number=id18, name="张三", step="制证")])
    offer = chat("我的证件")
    assert "先注册" in offer.text and "1. 现在注册" in offer.text
    assert "回复 0 转人工" in offer.text  # someone who cannot register still has a human and a phone
    assert "给谁注册" in chat("1").text
    for said in ("1", "张三", id18, "13812345678"):
        chat(said)
    final = chat("鳌江")
    assert final.text.startswith("注册成功") and "正在制作证件" in final.text


def test_my_details_unregistered_offers_registration_and_a_way_out(chat):
    offer = chat("我的信息")
    assert "还没有注册" in offer.text and "1. 现在注册" in offer.text and "回复 0 转人工" in offer.text


def test_registered_without_a_record_is_told_how_to_apply(chat, services):
    register(chat, "张三", make_id(505))
    text = chat("我的证件").text
    assert "暂时没有查到" in text and "残疾证怎么办" in text and "回复 0 转人工" in text


@pytest.mark.parametrize("start, days, end", [
    (dt.date(2026, 5, 6), 5, dt.date(2026, 5, 13)), (dt.date(2026, 5, 8), 10, dt.date(2026, 5, 22)),
    (dt.date(2026, 5, 9), 1, dt.date(2026, 5, 11))])
def test_working_days_skip_weekends(start, days, end):
    assert add_workdays(start, days) == end


@pytest.mark.parametrize("asked", ["我爸的残疾证办到哪了", "残疾证批下来了没有", "俺的证办好了没"])
def test_progress_asked_in_residents_words_gets_the_status(chat, services, asked):
    _registered(chat, services, step="公示", step_date="2026-05-06")
    assert "评定结果正在村（社区）公示" in chat(asked).text


def test_a_certificate_already_issued_in_passing_is_not_a_status_question(chat):
    assert "评定结果" not in chat("残疾证办好了 护理补贴怎么领").text
