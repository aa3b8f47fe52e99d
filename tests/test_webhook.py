"""The /wechat endpoint as WeChat's servers see it: signatures, AES, hostile bodies, every type."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.config import DEMO, Settings
from bot.models import MessageLog
from bot.wechat.protocol import sign
from bot.devtools.simulate import build_xml, read_reply, signed_request
from tests.support.wechat import WeChatHTTP

SAMPLES = {
    "text": dict(Content="你好"),
    "image": dict(PicUrl="http://127.0.0.1/p.jpg", MediaId="media1"),
    "voice": dict(MediaId="m", Format="amr", Recognition="残疾证怎么办"),
    "video": dict(MediaId="m", ThumbMediaId="t"),
    "shortvideo": dict(MediaId="m", ThumbMediaId="t"),
    "location": dict(Location_X="27.66", Location_Y="120.56", Scale="15", Label="平阳县昆阳镇"),
    "link": dict(Title="文章", Description="d", Url="http://127.0.0.1/a"),
    "miniprogrampage": dict(Title="小程序"),
}
EVENTS = [("subscribe", ""), ("subscribe", "qrscene_123"), ("unsubscribe", ""), ("SCAN", "123"),
          ("LOCATION", ""), ("CLICK", "MAIN"), ("CLICK", "NO_SUCH_KEY"), ("VIEW", "http://127.0.0.1/"),
          ("TEMPLATESENDJOBFINISH", ""), ("MASSSENDJOBFINISH", ""), ("card_pass_check", ""), ("pic_sysphoto", "")]


def _http(settings, encrypt: bool) -> WeChatHTTP:
    """Plain bodies need 兼容模式 opted in; safe mode (the suite's AES key) accepts only encrypted ones."""
    from webhook import create_app
    mode = settings if encrypt else settings.with_(wechat_compat_mode=True)
    return WeChatHTTP(create_app(mode).test_client(), mode)


def test_server_verification_echoes_only_for_a_valid_signature(app, settings):
    client = app.test_client()
    ts, nonce = "1700000000", "abc"
    good = client.get("/wechat", query_string={"signature": sign(settings.wechat_token, ts, nonce),
                                                "timestamp": ts, "nonce": nonce, "echostr": "12345x"})
    assert good.status_code == 200 and good.data == b"12345x" and good.mimetype == "text/plain"
    bad = client.get("/wechat", query_string={"signature": "0" * 40, "timestamp": ts, "nonce": nonce,
                                               "echostr": "12345x"})
    assert bad.status_code == 403 and b"12345x" not in bad.data


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "aes"])
@pytest.mark.parametrize("msg_type", sorted(SAMPLES))
def test_every_message_type_gets_a_well_formed_answer(settings, msg_type, encrypt):
    reply = _http(settings, encrypt).send(msg_type, encrypt=encrypt, **SAMPLES[msg_type])
    assert reply["type"] == "text" and reply["text"].strip()


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "aes"])
@pytest.mark.parametrize("event,key", EVENTS)
def test_every_event_gets_200_and_xml_or_success(settings, event, key, encrypt):
    wechat_http = _http(settings, encrypt)
    resp = wechat_http.post_xml(build_xml("o_ev", "event", Event=event, EventKey=key, Latitude="27.6",
                                          Longitude="120.5", Precision="30"), encrypt=encrypt)
    assert resp.status_code == 200
    reply = read_reply(wechat_http.settings, resp.data, encrypted=encrypt)
    assert reply["type"] in ("text", "success")
    if event == "subscribe":
        assert "语音" in reply["text"] and "菜单" in reply["text"]


def test_safe_mode_reply_is_encrypted_and_signed(wechat_http, settings):
    resp = wechat_http.post_xml(build_xml("o_aes", "text", Content="菜单"), encrypt=True)
    body = resp.data.decode()
    assert "<Encrypt>" in body and "菜单" not in body and "<MsgSignature>" in body
    assert "政策咨询" in read_reply(settings, body, encrypted=True)["text"]


def test_encrypted_body_needs_msg_signature_not_just_signature(wechat_http):
    resp = wechat_http.post_xml(build_xml("o_aes", "text", Content="你好"), encrypt=True, msg_signature="0" * 40)
    assert resp.status_code == 403


def test_message_encrypted_for_another_appid_is_refused(app, settings):
    other = settings.with_(wechat_app_id="wxsomeoneelse00000")
    query, body = signed_request(other, build_xml("o_x", "text", Content="你好"), encrypt=True)
    assert app.test_client().post(f"/wechat?{query}", data=body).status_code == 403


def test_forged_signature_is_403_and_nothing_is_processed(app, services):
    query, body = signed_request(Settings(wechat_token="not-our-token"), build_xml("o_f", "text", Content="0"))
    assert app.test_client().post(f"/wechat?{query}", data=body).status_code == 403
    with services.sessions() as s:
        assert s.scalar(select(MessageLog).where(MessageLog.openid == "o_f")) is None


def test_oversize_body_is_413(wechat_http):
    resp = wechat_http.post_xml(build_xml("o_big", "text", Content="长" * 40_000))
    assert resp.status_code == 413


@pytest.mark.parametrize("body", [
    "<xml><ToUserName>a</ToUserName",
    "",
    "not xml at all",
    "<xml><FromUserName>o</FromUserName></xml>",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>&e;</Content></xml>",
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml>&lol2;</xml>',
], ids=["truncated", "empty", "garbage", "no-msgtype", "xxe", "billion-laughs"])
def test_malformed_or_hostile_xml_is_4xx_without_a_stack_trace(wechat_http, body):
    resp = wechat_http.post_xml(body)
    assert 400 <= resp.status_code < 500
    assert b"Traceback" not in resp.data and b"passwd" not in resp.data and b"root:" not in resp.data


def test_control_characters_emoji_and_long_text_are_answered(wechat_http):
    reply = wechat_http.text("你好\x1d\x00\x08 😀[微笑] 菜单" + "啊" * 1500)
    assert reply["type"] == "text" and reply["text"]


def test_a_crashing_handler_gives_an_apology_with_a_way_out_and_logs_the_message_id(
        wechat_http, app, caplog, monkeypatch):
    from handlers import menu

    def boom(ctx):
        raise RuntimeError("database on fire")
    router = app.extensions["wxbot"].router
    router.routes = [(r, boom if fn is menu.show_menu else fn) for r, fn in router.routes]
    with caplog.at_level(logging.ERROR):
        resp = wechat_http.post_xml(build_xml("o_boom", "text", Content="菜单", msg_id="777001"))
    assert resp.status_code == 200
    reply = read_reply(wechat_http.settings, resp.data)
    assert "抱歉" in reply["text"] and "转人工" in reply["text"]
    assert any("777001" in r.getMessage() for r in caplog.records)


def test_no_aes_key_configured_refuses_encrypted_posts(database_url):
    from webhook import create_app
    settings = Settings(database_url=database_url, wechat_aes_key="", demo=True)
    enc_settings = settings.with_(wechat_aes_key=DEMO["WECHAT_AES_KEY"])
    query, body = signed_request(enc_settings, build_xml("o", "text", Content="hi"), encrypt=True)
    assert create_app(settings).test_client().post(f"/wechat?{query}", data=body).status_code == 403


def test_a_delivery_report_with_nested_and_repeated_elements_is_read_and_recorded(settings, services):
    # WeChat's MASSSENDJOBFINISH carries a nested CopyrightCheckResult with repeated <item>s; the
    # flat fields staff see in the notice report must still be read, whitespace trimmed.
    from bot.outbox.models import DeliveryEvent
    xml = ("<xml><ToUserName><![CDATA[gh_demo_account]]></ToUserName><FromUserName><![CDATA[o_mass_report]]>"
           "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
           "<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1000001625</MsgID>"
           "<Status><![CDATA[ send success ]]></Status><TotalCount>100</TotalCount><FilterCount>80</FilterCount>"
           "<SentCount>75</SentCount><ErrorCount>5</ErrorCount><CopyrightCheckResult><Count>2</Count>"
           "<ResultList><item><ArticleIdx>1</ArticleIdx></item><item><ArticleIdx>2</ArticleIdx></item>"
           "</ResultList><CheckState>2</CheckState></CopyrightCheckResult><Empty></Empty></xml>")
    resp = _http(settings, True).post_xml(xml, encrypt=True)
    assert resp.status_code == 200
    with services.sessions() as s:
        event = s.scalars(select(DeliveryEvent).where(DeliveryEvent.msg_id == "1000001625")).one()
    assert (event.status, event.total_count, event.sent_count, event.error_count) == ("send success", 100, 75, 5)
    assert "CopyrightCheckResult" not in event.detail and "Empty" not in event.detail
