"""Console sessions: revocable server-side, SameSite/Secure cookies, throttling that cannot lock staff out."""
from __future__ import annotations

import pytest

import datetime as dt

from sqlalchemy import select, update

from bot.admin import accounts, throttle
from bot.admin.models import LoginThrottle, StaffSession
from bot.admin.views.auth import LOGIN_FAILED
from bot.config import Settings
from bot.db import utcnow

from tests.support.console import PASSWORD, Console, create_accounts, from_address

pytestmark = pytest.mark.knowledge_copy


def thief_with_cookie_of(app, victim: Console):
    """A second browser holding a copy of the victim's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", victim.client.get_cookie("session").value)
    return thief


def signed_out(resp) -> bool:
    return resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def test_copied_cookie_is_refused_after_logout(app, staff, console):
    writer = console("writer")
    thief = thief_with_cookie_of(app, writer)
    assert thief.get("/admin/dashboard").status_code == 200  # a copy works while the session lives …
    assert writer.post("/admin/logout").status_code == 302
    assert signed_out(thief.get("/admin/dashboard"))  # … and not after logout
    assert signed_out(writer.get("/admin/dashboard"))


def test_copied_cookie_is_refused_after_a_password_change(app, staff, console):
    writer = console("writer")
    thief = thief_with_cookie_of(app, writer)
    resp = writer.post("/admin/password", {"current": PASSWORD, "password": "Another-pass-4242",
                                           "confirm": "Another-pass-4242"})
    assert resp.status_code == 302, resp.text
    assert signed_out(thief.get("/admin/dashboard"))
    assert writer.get("/admin/dashboard").status_code == 200  # the one who changed it stays in


def test_session_idle_on_the_server_ends(app, staff, console):
    writer = console("writer")
    thief = thief_with_cookie_of(app, writer)
    with app.extensions["wxbot"].sessions.begin() as db:
        db.execute(update(StaffSession).values(last_seen=utcnow() - dt.timedelta(minutes=31)))
    assert signed_out(thief.get("/admin/dashboard"))
    assert signed_out(writer.get("/admin/dashboard"))
    with app.extensions["wxbot"].sessions() as db:
        assert db.scalars(select(StaffSession)).all() == []


def test_cookie_is_samesite_lax_and_secure_when_configured(settings, services):
    from webhook import create_app
    for secure in (False, True):
        app = create_app(settings.with_(session_cookie_secure=secure))
        create_accounts(services, {f"u{int(secure)}": "viewer"})
        resp = Console(app.test_client()).login(f"u{int(secure)}")
        cookie = resp.headers["Set-Cookie"]
        assert resp.status_code == 302 and "SameSite=Lax" in cookie and "HttpOnly" in cookie
        assert ("; Secure" in cookie) is secure
    assert Settings.from_env({"SESSION_COOKIE_SECURE": "1"}).session_cookie_secure


def _flash(resp) -> str:
    return resp.text.split('class="flash flash-', 1)[1].split("</", 1)[0]


def test_one_answer_for_every_login_failure(app, staff, console):
    with app.extensions["wxbot"].sessions.begin() as db:
        accounts.set_active(db, accounts.find(db, "reader"), False, "test")
    blocked = from_address(app, "203.0.113.5")
    for _ in range(accounts.LOCK_AFTER):
        blocked.login("writer", "Wrong-password-000")
    answers = [console().login("writer", "Wrong-password-000"), console().login("nobody", "Wrong-password-000"),
               console().login("reader"), blocked.login("writer"), blocked.login("nobody")]
    assert {r.status_code for r in answers} == {401}
    assert len({_flash(r) for r in answers}) == 1 and LOGIN_FAILED in answers[0].text
    assert all("锁定" not in r.text and "停用" not in r.text for r in answers)


def test_one_address_guessing_many_accounts_is_slowed_with_doubling_blocks(app, staff, console):
    stranger = from_address(app, "198.51.100.66")
    for i in range(throttle.IP_LIMIT):
        stranger.login(f"guess{i}", "Wrong-password-000")
    assert stranger.login("writer").status_code == 401  # this address is blocked for every account …
    assert console().login("writer").status_code == 302  # … the staff elsewhere are not
    key = throttle.ip_key("198.51.100.66")
    with app.extensions["wxbot"].sessions.begin() as db:
        first = db.get(LoginThrottle, key)
        assert dt.timedelta(minutes=14) < first.blocked_until - utcnow() <= throttle.BLOCK
        first.blocked_until = utcnow() - dt.timedelta(seconds=1)
    for i in range(throttle.IP_LIMIT):
        stranger.login(f"again{i}", "Wrong-password-000")
    with app.extensions["wxbot"].sessions() as db:
        second = db.get(LoginThrottle, key)
        assert second.blocked_until - utcnow() > dt.timedelta(minutes=29)  # doubled, and still it ends
        assert second.blocked_until - utcnow() <= throttle.MAX_BLOCK


def test_admin_unlock_clears_every_address_block(app, staff, console):
    for addr in ("203.0.113.1", "203.0.113.2"):
        c = from_address(app, addr)
        for _ in range(accounts.LOCK_AFTER):
            c.login("reader", "Wrong-password-000")
    with app.extensions["wxbot"].sessions.begin() as db:
        reader = accounts.find(db, "reader")
        assert accounts.is_locked(reader)
        accounts.unlock(db, reader, "test")
    c = from_address(app, "203.0.113.2")
    assert c.login("reader").status_code == 302
