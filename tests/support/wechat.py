"""WeChat's side of the tests: drivers that build real XML, sign and encrypt it and read replies; the
app and a live server; the fake WeChat API; waiting on a condition instead of sleeping."""
from __future__ import annotations

import itertools
import threading
import time
from typing import Callable

import pytest
from werkzeug.serving import make_server

from bot.engine import inbox as engine
from bot.wechat.inbound import Inbound
from bot.devtools.fake_wechat.server import FakeWeChat
from bot.wechat.reply import Reply
from bot.devtools.simulate import build_xml, read_reply, signed_request

_ids = itertools.count(1)


class ChatDriver:
    """Sends one resident's messages through XML parsing and the engine (no HTTP)."""

    def __init__(self, services, openid: str = "o_resident"):
        self.services, self.openid = services, openid

    def send(self, msg_type: str = "text", openid: str | None = None, **fields) -> Reply:
        xml = build_xml(openid or self.openid, msg_type, **fields)
        return engine.process(self.services, Inbound.from_xml(xml))

    def __call__(self, text: str, openid: str | None = None) -> Reply:
        return self.send("text", openid, Content=text)

    def voice(self, transcript: str, openid: str | None = None) -> Reply:
        return self.send("voice", openid, MediaId="m1", Format="amr", Recognition=transcript)

    def event(self, event: str, key: str = "", openid: str | None = None) -> Reply:
        return self.send("event", openid, Event=event, EventKey=key, create_time=1_700_000_000 + next(_ids))

    def click(self, key: str, openid: str | None = None) -> Reply:
        return self.event("CLICK", key, openid)


class WeChatHTTP:
    """Posts signed XML to /wechat through a Flask test client, encrypted as the account's mode says
    (safe mode with the suite's AES key) unless encrypt= says otherwise."""

    def __init__(self, client, settings):
        self.client, self.settings = client, settings

    def post_xml(self, xml: str, encrypt: bool | None = None, **query_overrides):
        query, body = signed_request(self.settings, xml, encrypt=encrypt)
        if query_overrides:
            from urllib.parse import parse_qsl, urlencode
            args = dict(parse_qsl(query))
            args.update(query_overrides)
            query = urlencode(args)
        return self.client.post(f"/wechat?{query}", data=body, content_type="text/xml")

    def send(self, msg_type: str = "text", openid: str = "o_http", encrypt: bool | None = None, **fields) -> dict:
        resp = self.post_xml(build_xml(openid, msg_type, **fields), encrypt=encrypt)
        assert resp.status_code == 200, resp.data
        return read_reply(self.settings, resp.data, encrypted=encrypt)

    def text(self, content: str, openid: str = "o_http", encrypt: bool | None = None) -> dict:
        return self.send("text", openid, encrypt, Content=content)


def wait_for(condition: Callable[[], object], timeout: float = 15.0, what: str = "condition"):
    """Wait until condition() is true (another thread, the fake API) and return its value; fail after
    `timeout` seconds, which is generous: the wait ends as soon as the condition holds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)
    return value


@pytest.fixture
def chat(services):
    return ChatDriver(services)


@pytest.fixture
def app(settings):
    from webhook import create_app
    return create_app(settings)


@pytest.fixture
def wechat_http(app, settings):
    return WeChatHTTP(app.test_client(), settings)


@pytest.fixture
def live_server(app):
    """The app on a real threaded HTTP server on loopback (for concurrency tests)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def fake_server():
    server = FakeWeChat().start()
    yield server
    server.stop()


@pytest.fixture
def wx_fake(fake_server):
    fake_server.state.reset(mass_daily_quota=10)
    return fake_server
