"""Registration as residents do it: self or family, linking, lockout, 3 users, cancel, unbind, delete."""
from __future__ import annotations

from sqlalchemy import select

from bot.models import AuditLog, ConversationState, MessageLog
from bot.people.api import registered_openids, registered_person
from bot.people.models import Registration, RegistrationFailure
from tests.test_people_helpers import load, make_id, record, register, wrong_check


def _regs(services):
    with services.sessions() as s:
        return {r.openid: r for r in s.scalars(select(Registration))}


def test_self_registration_links_the_registry_record_and_masks_numbers(chat, services):
    id18 = make_id(401)
    load(services, [record(id_number=id18, name="张三", phone="13812345678")])
    chat.click("REGISTER")
    for said in ("1", "张三"):
        chat(said)
    asked_phone = chat(id18)
    assert "电话" in asked_phone.text
    with services.sessions() as s:  # the flow state keeps the number encrypted
        assert id18 not in str(s.get(ConversationState, "o_resident").data)
    chat("138 1234 5678")
    done = chat("我住在鳌江那边")
    assert "注册成功" in done.text and "核对一致" in done.text
    assert "张*\n关系：本人" in done.text and id18[:4] + "**********" + id18[-4:] in done.text
    assert id18 not in done.text and "13812345678" not in done.text and "鳌江镇" in done.text
    with services.sessions() as s:
        person = registered_person(s, services.settings.data_key, "o_resident")
        assert registered_openids(s) == ["o_resident"]
        logged = " ".join(m.text or "" for m in s.scalars(select(MessageLog)))
    # Name and numbers kept out of the log staff read; the rest of the conversation is there.
    assert id18 not in logged and "1234 5678" not in logged and "张三" not in logged and "（姓名，不记录）" in logged
    assert "我住在鳌江那边" in logged
    assert person.relation == "本人" and person.disability_category == 4 and person.phone == "13812345678"
    assert person.town == "鳌江镇" and person.person_key


def test_family_member_registers_by_voice(chat, services):
    id18 = make_id(402)
    load(services, [record(id_number=id18, name="李秀英", phone="13900001234")])
    chat("绑定")
    assert "什么人" in chat.voice("给家人").text
    assert "姓名" in chat.voice("女儿").text
    chat.voice("李秀英。")
    spoken = id18.translate(str.maketrans("0123456789X", "零幺二三四五六七八九叉"))
    assert "电话" in chat.voice(f"她的身份证是{spoken}").text
    chat.voice("幺三九 零零零零 幺二三四")
    assert "注册成功" in chat.voice("昆阳").text
    assert _regs(services)["o_resident"].relation == "家属（子女）"
    assert _regs(services)["o_resident"].linked_at is not None


def test_a_stranger_with_a_real_id_but_wrong_phone_never_sees_the_record(chat, services):
    id18 = make_id(403)
    load(services, [record(id_number=id18, name="张三", step="待领取", phone="13812345678")])
    reply = register(chat, "张三", id18 + "42", phone="13800009999", openid="o_stranger")
    no_record = register(chat, "张三", make_id(404), openid="o_nobody")  # an ID with no record at all
    tail = lambda t: t.split("乡镇：", 1)[1].split("\n", 1)[1]  # noqa: E731 - what follows the summary
    assert "注册成功" in reply.text and tail(reply.text) == tail(no_record.text)  # indistinguishable
    assert "暂时没有查到" in reply.text and "暂时没有查到" in no_record.text
    status = chat("办证进度", openid="o_stranger").text
    assert "待领取" not in status and "可以领取" not in status and "暂时没有查到" in status
    assert _regs(services)["o_stranger"].linked_at is None
    with services.sessions() as s:
        assert s.scalar(select(RegistrationFailure.reason)) == "mismatch"


def test_five_bad_check_digits_lock_registration_for_the_day(chat, services):
    chat("注册")
    chat("1")
    chat("张三")
    for attempt in range(4):
        reply = chat(wrong_check(make_id(410 + attempt)))
        assert "校验码" in reply.text and f"还可以试 {4 - attempt} 次" in reply.text
    locked = chat(wrong_check(make_id(420)))
    assert "注册暂停到明天" in locked.text and "回复 0 转人工" in locked.text
    again = chat("注册")
    assert "注册暂停到明天" in again.text
    assert "注册暂停到明天" in chat("重新注册").text
    assert "o_resident" not in _regs(services)


def test_brute_forcing_phone_digits_is_locked_after_five_tries(chat, services):
    id18 = make_id(405)
    load(services, [record(id_number=id18, name="张三", phone="13812345678")])
    for guess in range(5):
        last = register(chat, "张三", id18, phone=f"1380000{guess:04d}", openid="o_guess", start="重新注册")
        assert "注册成功" in last.text and "暂时没有查到" in last.text  # a guess learns nothing
    assert "注册暂停到明天" in chat("重新注册", openid="o_guess").text  # no sixth guess today
    assert _regs(services)["o_guess"].linked_at is None


def test_a_fourth_wechat_user_for_one_resident_is_refused(chat, services):
    id18 = make_id(406)
    load(services, [record(id_number=id18, name="张三", phone="13812345678")])
    for openid in ("o_self", "o_son", "o_wife"):
        assert "注册成功" in register(chat, "张三", id18, openid=openid).text
    fourth = register(chat, "张三", id18, openid="o_cousin")
    assert "最多只能绑定 3 个" in fourth.text and "解绑" in fourth.text and "回复 0 转人工" in fourth.text
    assert "o_cousin" not in _regs(services)
    chat("解绑", openid="o_wife")
    chat("1", openid="o_wife")
    assert "注册成功" in register(chat, "张三", id18, openid="o_cousin").text


def test_cancel_halfway_keeps_the_earlier_registration(chat, services):
    id18 = make_id(407)
    load(services, [record(id_number=id18, name="张三")])
    register(chat, "张三", id18)
    before = _regs(services)["o_resident"]
    assert "已经注册过" in chat("注册").text
    chat("1")  # 重新注册
    chat("2")
    chat("1")
    chat("王五")
    cancelled = chat("取消")
    assert "已取消" in cancelled.text
    after = _regs(services)["o_resident"]
    assert (after.id_hash, after.name_enc, after.linked_at, after.town) == \
        (before.id_hash, before.name_enc, before.linked_at, before.town)
    assert "张*的残疾人证办理情况" in chat("我的证件").text


def test_unbind_removes_only_this_users_binding(chat, services):
    id18 = make_id(408)
    load(services, [record(id_number=id18, name="张三")])
    register(chat, "张三", id18, openid="o_a")
    register(chat, "张三", id18, relation=("2", "2"), openid="o_b")
    asked = chat("解绑", openid="o_b")
    assert "1. 确定解绑" in asked.text
    done = chat("1", openid="o_b")
    assert "已解除绑定" in done.text and "关系：家属（子女）" in done.text and id18 not in done.text
    assert set(_regs(services)) == {"o_a"}
    assert "先注册" in chat("办证进度", openid="o_b").text


def test_delete_my_data_removes_registration_family_and_the_log(chat, services):
    id18 = make_id(409)
    load(services, [record(id_number=id18, name="张三")])
    register(chat, "张三", id18, openid="o_self")
    register(chat, "张三", id18, relation=("2", "1"), openid="o_wife")
    register(chat, "张三", make_id(499), openid="o_other")
    chat("我的电话是 138 1234 5678", openid="o_self")  # typed outside the flow, spaced
    assert "确定删除" in chat("删除我的信息", openid="o_self").text
    done = chat("1", openid="o_self")
    assert "已删除" in done.text and "家人的微信绑定 1 个" in done.text
    assert set(_regs(services)) == {"o_other"}
    with services.sessions() as s:
        typed = [m.text for m in s.scalars(select(MessageLog).where(MessageLog.openid == "o_self"))]
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "registration.delete"))
    assert typed == ["1"]  # only the confirmation itself, logged after the deletion
    assert "聊天记录" in done.text
    assert entry.actor == "resident" and "o_self" not in str((entry.target, entry.detail)) \
        and id18 not in str(entry.detail)


def test_registration_over_the_wechat_endpoint_encrypted(wechat_http, services):
    id18 = make_id(411)
    load(services, [record(id_number=id18, name="张三")])
    last = None
    for said in ("注册", "1", "张三", id18, "13812345678", "鳌江"):
        last = wechat_http.text(said, openid="o_http", encrypt=True)
    assert last["type"] == "text" and "注册成功" in last["text"] and id18 not in last["text"]
    assert "张*的残疾人证办理情况" in wechat_http.text("查询进度", openid="o_http")["text"]


def test_a_forged_certificate_number_does_not_link(chat, services):
    id18 = make_id(412)
    load(services, [record(id_number=id18 + "42", name="张三", phone="")])  # registry without a phone
    reply = register(chat, "张三", id18 + "12", openid="o_forger")  # real ID, made-up 类别/等级 digits
    assert "暂时没有查到" in reply.text and _regs(services)["o_forger"].linked_at is None
    assert "核对一致" in register(chat, "张三", id18, openid="o_owner").text  # name + ID suffice here
