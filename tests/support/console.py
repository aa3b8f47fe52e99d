"""The staff console: three accounts and a client that logs in like a browser (CSRF token included).

Console test modules mark themselves `pytest.mark.knowledge_copy` (edits never touch the repo's
knowledge/, and are seen at once)."""
from __future__ import annotations

import re

import pytest
PASSWORD = "Test-password-2026"
ACCOUNTS = {"boss": "admin", "writer": "editor", "reader": "viewer"}
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def create_accounts(services, accounts: dict[str, str] = ACCOUNTS, password: str = PASSWORD) -> None:
    from bot.admin import accounts as staff_accounts
    with services.sessions.begin() as db:
        for username, role in accounts.items():
            staff_accounts.create(db, username, password, role, "test")


@pytest.fixture
def staff(app):
    create_accounts(app.extensions["wxbot"])
    return ACCOUNTS


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1) or match.group(2)


class Console:
    """A test client that logs in like a browser and sends the CSRF token with every POST."""

    def __init__(self, client):
        self.client, self.token = client, None

    def login(self, username: str, password: str = PASSWORD):
        page = self.client.get("/admin/login")
        resp = self.client.post("/admin/login", data={"csrf_token": csrf_token(page.text), "username": username,
                                                      "password": password})
        if resp.status_code == 302:
            self.token = csrf_token(self.client.get("/admin/password").text)
        return resp

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, token: bool = True, **kw):
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)


def from_address(app, remote_addr: str) -> Console:
    """A fresh browser on another machine (the login throttle counts per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr
    return Console(client)


@pytest.fixture
def console(app, staff):
    """Log in as console("writer") etc.; each call is a fresh browser (own cookie jar)."""
    def make(username: str | None = None) -> Console:
        c = Console(app.test_client())
        if username:
            resp = c.login(username)
            assert resp.status_code == 302, resp.text
        return c
    return make
