"""A fake WeChat API server on loopback, for tests and the offline demo (`wxbot fake-wechat --port 8001`).

Speaks the cgi-bin endpoints this project calls, with WeChat's rules that matter (token expiry and
the ~5 min grace after a new `token`, mass-send daily quota → 45028, clientmsgid reuse → 45065,
template client_msg_id dedup for 10 min, template values ≤ 20 characters, 2–10 000 openids for
mass/send). Control endpoints under /_fake/: POST faults ({"path", "errcode", "times", "delay",
"status", "touser", "after"}), GET sent?touser=&kind=, GET calls, GET state, POST config, POST reset,
POST expire_tokens. The 48-hour window and unfollows are not knowable here: inject them as faults.
"""
from __future__ import annotations

import json
import logging
import threading
import time

import click
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from bot.devtools.fake_wechat.state import FakeState

log = logging.getLogger(__name__)


def sent_for(state: FakeState, touser: str | None = None, kind: str | None = None) -> list[dict]:
    """What was sent to touser (directly, or by a mass send that reached them); tests, simulator."""
    with state.lock:
        rows = [r for r in state.sent if kind in (None, r["kind"])]
    if touser:
        rows = [r for r in rows if r.get("touser") == touser or r.get("to") == "all"
                or (isinstance(r.get("to"), list) and touser in r["to"])]
    return [{k: v for k, v in r.items() if k != "to" or not isinstance(v, list)} for r in rows]


def snapshot(state: FakeState) -> dict:
    with state.lock:
        tags = {i: {"name": t["name"], "count": len(t["members"])} for i, t in state.tags.items()}
        return {"tags": tags, "menu": state.menu, "sent": len(state.sent), "calls": dict(state.calls),
                "mass_today": state.mass_days[state.today()]}


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind a load balancer

    def log_request(self, *args, **kwargs):  # one line per call drowns a 20 000-message run
        pass


class FakeWeChat:
    """The server; `state` is shared with the HTTP handlers (tests may also read it directly)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options):
        self.state = FakeState(**options)
        self.host, self.port = host, port
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "FakeWeChat":
        self._server = make_server(self.host, self.port, self._wsgi, threaded=True, request_handler=_Handler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-wechat", daemon=True)
        self._thread.start()
        log.info("fake WeChat API listening on %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_forever(self) -> None:
        self._server = make_server(self.host, self.port, self._wsgi, threaded=True, request_handler=_Handler)
        self.port = self._server.server_port
        self._server.serve_forever()

    # -- in-process helpers for tests ---------------------------------------------------------
    def sent(self, touser: str | None = None, kind: str | None = None) -> list[dict]:
        return sent_for(self.state, touser, kind)

    def snapshot(self) -> dict:
        return snapshot(self.state)

    def fault(self, path: str, errcode: int = 0, times: int = 1, **extra) -> None:
        self.state.add_fault({"path": path, "errcode": errcode, "times": times, **extra})

    # -- HTTP ---------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            status, result = self._route(request)
        except Exception:  # a fake that dies mid-test hides the real failure
            log.exception("fake WeChat failed on %s", request.path)
            status, result = 500, {"errcode": -1, "errmsg": "fake server error"}
        body = json.dumps(result, ensure_ascii=False)
        return Response(body, status=status, mimetype="application/json")(environ, start_response)

    def _route(self, request: Request) -> tuple[int, object]:
        path = request.path.strip("/")
        body = request.get_json(silent=True, force=True) or {}
        if path.startswith("_fake/"):
            return self._control(request.method, path[len("_fake/"):], request, body)
        if not path.startswith("cgi-bin/"):
            return 404, {"errcode": 404, "errmsg": "not found"}
        api = path[len("cgi-bin/"):]
        state = self.state
        state.count(api)
        fault = state.take_fault(api, body)
        if fault and not fault.get("after"):
            time.sleep(float(fault.get("delay", 0)))
            if fault.get("status"):
                return int(fault["status"]), {"errmsg": "injected HTTP error"}
            if fault.get("errcode"):
                return 200, {"errcode": int(fault["errcode"]), "errmsg": "injected fault"}
        result = state.call(api, dict(request.args), body)
        if fault and fault.get("after"):  # WeChat did the work, but the answer is slow or lost
            time.sleep(float(fault.get("delay", 0)))
            if fault.get("errcode"):
                return 200, {"errcode": int(fault["errcode"]), "errmsg": "injected fault after processing"}
        return 200, result

    def _control(self, method: str, what: str, request: Request, body) -> tuple[int, object]:
        state = self.state
        if what == "faults" and method == "POST":
            for spec in body if isinstance(body, list) else [body]:
                state.add_fault(spec)
            return 200, {"ok": True}
        if what == "faults" and method == "DELETE":
            state.clear_faults()
            return 200, {"ok": True}
        if what == "sent":
            return 200, sent_for(state, request.args.get("touser"), request.args.get("kind"))
        if what == "calls":
            return 200, state.call_counts()
        if what == "state":
            return 200, snapshot(state)
        if what == "reset" and method == "POST":
            state.reset(**body)
            return 200, {"ok": True}
        if what == "config" and method == "POST":
            state.configure(**body)
            return 200, {"ok": True}
        if what == "expire_tokens" and method == "POST":
            state.expire_tokens()
            return 200, {"ok": True}
        return 404, {"error": f"unknown control {method} {what}"}


def start_in_thread(host: str = "127.0.0.1", port: int = 8001, **options) -> FakeWeChat:
    """For `make run`: the fake API in a daemon thread of the web process."""
    return FakeWeChat(host, port, **options).start()


@click.command("fake-wechat")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--mass-quota", type=int, default=1, show_default=True, help="Successful mass sends a day.")
def main(host: str, port: int, mass_quota: int) -> None:
    """Run the fake WeChat API server (tests, offline demo)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = FakeWeChat(host, port, mass_daily_quota=mass_quota)
    click.echo(f"fake WeChat API on http://{host}:{port}  "
               "(control: /_fake/sent, /_fake/faults, /_fake/reset)")
    server.serve_forever()


if __name__ == "__main__":
    main()
