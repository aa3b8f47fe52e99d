"""Forged, stale and replayed callbacks are refused; safe mode takes only encrypted bodies."""
from __future__ import annotations

import time
from urllib.parse import parse_qsl

from sqlalchemy import select

from bot.models import MessageLog
from bot.devtools.simulate import build_xml, read_reply, signed_request


def _post(app, query, body):
    return app.test_client().post(f"/wechat?{query}", data=body, content_type="text/xml")


def _logged(services, openid):
    with services.sessions() as s:
        return s.scalars(select(MessageLog.text).where(MessageLog.openid == openid)).all()


def test_plaintext_body_in_safe_mode_is_refused(app, settings, services):
    query, body = signed_request(settings, build_xml("o_plain", "text", Content="菜单"), encrypt=False)
    assert _post(app, query, body).status_code == 403
    assert _logged(services, "o_plain") == []


def test_plaintext_is_accepted_when_compatible_mode_is_opted_in(settings):
    from webhook import create_app
    compat = settings.with_(wechat_compat_mode=True)
    query, body = signed_request(compat, build_xml("o_compat", "text", Content="菜单"), encrypt=False)
    resp = _post(create_app(compat), query, body)
    assert resp.status_code == 200 and "政策咨询" in read_reply(compat, resp.data)["text"]


def test_a_signature_seen_once_does_not_carry_another_body(settings, services):
    """Compatible mode: `signature` covers token+timestamp+nonce only; a logged one replays no body."""
    from webhook import create_app
    compat = settings.with_(wechat_compat_mode=True)
    app = create_app(compat)
    query, body = signed_request(compat, build_xml("o_victim", "text", Content="你好"), encrypt=False)
    assert _post(app, query, body).status_code == 200
    forged = build_xml("o_victim", "text", Content="删除我的信息").encode()
    assert _post(app, query, forged).status_code == 403
    assert _logged(services, "o_victim") == ["你好"]


def test_the_same_message_again_with_the_same_nonce_gets_the_first_reply(app, settings, services):
    query, body = signed_request(settings, build_xml("o_again", "text", Content="菜单", msg_id="880001"))
    first, again = _post(app, query, body), _post(app, query, body)
    assert first.status_code == again.status_code == 200
    assert read_reply(settings, again.data)["text"] == read_reply(settings, first.data)["text"]
    assert _logged(services, "o_again") == ["菜单"]


def test_timestamps_more_than_five_minutes_off_are_refused(app, settings, services):
    for skew in (-301, 301):
        query, body = signed_request(settings, build_xml("o_stale", "text", Content="菜单"),
                                     timestamp=int(time.time()) + skew)
        assert dict(parse_qsl(query))["timestamp"] != str(int(time.time()))
        assert _post(app, query, body).status_code == 403
    assert _logged(services, "o_stale") == []
    query, body = signed_request(settings, build_xml("o_stale", "text", Content="菜单"),
                                 timestamp=int(time.time()) - 200)  # clocks a little apart: fine
    assert _post(app, query, body).status_code == 200


def test_the_simulator_encrypts_in_safe_mode_even_unticked(app):
    resp = app.test_client().post("/simulator/send", json={"openid": "o_sim", "type": "text", "text": "菜单",
                                                           "encrypt": False})
    data = resp.get_json()
    assert data["status"] == 200 and "政策咨询" in data["text"]
