"""Console access: login, hashed passwords, lockout, idle timeout, roles, CSRF, security headers."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from bot.admin import accounts, auth
from bot.admin import throttle
from bot.admin.models import LoginThrottle, Staff
from bot.db import utcnow
from bot.models import AuditLog
from tests.support.wechat import WeChatHTTP

from tests.support.console import PASSWORD, Console, from_address, csrf_token

pytestmark = pytest.mark.knowledge_copy


def _audit(app, action: str) -> list[AuditLog]:
    with app.extensions["wxbot"].sessions() as db:
        return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_login_page_is_accessible_chinese(app):
    page = app.test_client().get("/admin/login")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN">' in html and 'class="skip-link" href="#main"' in html
    assert '<label for="username">用户名</label>' in html and '<label for="password">密码</label>' in html
    assert 'autocomplete="current-password"' in html


def test_pages_need_login(app):
    client = app.test_client()
    resp = client.get("/admin/dashboard")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    assert client.get("/admin/jobs").status_code == 302


def test_password_is_hashed_and_login_works(app, staff, console):
    with app.extensions["wxbot"].sessions() as db:
        row = db.scalar(select(Staff).where(Staff.username == "writer"))
    assert PASSWORD not in row.password_hash and row.password_hash.startswith("scrypt:")
    c = console()
    resp = c.login("writer")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/dashboard")
    page = c.get("/admin/dashboard")
    assert page.status_code == 200 and "writer（编辑）" in page.text
    assert _audit(app, "staff.login")


def test_wrong_password_and_unknown_user_get_the_same_answer(staff, console):
    bad = console().login("writer", "Wrong-password-000")
    unknown = console().login("nobody", "Wrong-password-000")
    assert bad.status_code == unknown.status_code == 401
    assert "用户名或密码不对" in bad.text and "用户名或密码不对" in unknown.text


def test_five_failures_block_that_address_for_15_minutes_not_the_staff(app, staff, console):
    stranger = from_address(app, "203.0.113.9")
    for _ in range(accounts.LOCK_AFTER):
        assert stranger.login("reader", "Wrong-password-000").status_code == 401
    assert stranger.login("reader").status_code == 401  # even the right password, from that address
    assert _audit(app, "staff.locked")
    assert console().login("reader").status_code == 302  # the real reader, elsewhere, is not locked out
    with app.extensions["wxbot"].sessions.begin() as db:
        block = db.get(LoginThrottle, throttle.account_key("reader", "203.0.113.9"))
        assert block.blocked_until > utcnow() + dt.timedelta(minutes=14)
        block.blocked_until = utcnow() - dt.timedelta(seconds=1)  # the 15 minutes are over
    assert stranger.login("reader").status_code == 302


def test_admin_can_unlock(app, staff, console):
    for _ in range(accounts.LOCK_AFTER):
        console().login("reader", "Wrong-password-000")
    boss = console("boss")
    with app.extensions["wxbot"].sessions() as db:
        reader_id = db.scalar(select(Staff.id).where(Staff.username == "reader"))
    assert boss.post(f"/admin/staff/{reader_id}", {"op": "unlock"}).status_code == 302
    assert console().login("reader").status_code == 302


def test_idle_session_times_out(app, staff, console, monkeypatch):
    c = console("writer")
    assert c.get("/admin/dashboard").status_code == 200
    later = time.time() + (auth.IDLE_MINUTES + 1) * 60
    monkeypatch.setattr(auth.time, "time", lambda: later)
    resp = c.get("/admin/dashboard")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    assert c.get("/admin/dashboard").status_code == 302  # really signed out, not just redirected once
    assert c.post("/admin/logout").status_code in (400, 401)  # its CSRF token went with the session


def test_password_reset_ends_other_sessions(app, staff, console):
    first = console("writer")
    with app.extensions["wxbot"].sessions.begin() as db:
        accounts.set_password(db, accounts.find(db, "writer"), "Brand-new-pass-99", "test")
    assert first.get("/admin/dashboard").status_code == 302
    assert console().login("writer", "Brand-new-pass-99").status_code == 302


def test_disabled_account_cannot_log_in(app, staff, console):
    with app.extensions["wxbot"].sessions.begin() as db:
        accounts.set_active(db, accounts.find(db, "reader"), False, "test")
    assert console().login("reader").status_code == 401


@pytest.mark.parametrize("path", ["/admin/dashboard", "/admin/kb", "/admin/unanswered", "/admin/facts",
                                  "/admin/jobs", "/admin/rounds", "/admin/notices", "/admin/people",
                                  "/admin/kb/try?q=办残疾证"])
def test_viewer_reads_every_page(console, path):
    assert console("reader").get(path).status_code == 200


@pytest.mark.parametrize("path,data", [
    ("/admin/kb/entry/cert.apply/edit", {"title": "x"}),
    ("/admin/unanswered/dismiss", {"log_id": "1"}),
    ("/admin/facts/county.clf_phone", {"value": "0577-0000000"}),
    ("/admin/jobs/new", {"title": "保洁员"}),
    ("/admin/jobs/x/withdraw", {}),
    ("/admin/rounds/new", {"capacity": "5"}),
    ("/admin/notices/new", {"title": "t", "body": "b"}),
    ("/admin/people/import", {}),
    ("/admin/kb/export", {}),
    ("/admin/staff", {"username": "x"}),
])
def test_viewer_cannot_change_anything(console, path, data):
    assert console("reader").post(path, data).status_code == 403


def test_editor_cannot_manage_accounts_or_see_audit_log(console):
    writer = console("writer")
    assert writer.get("/admin/staff").status_code == 403
    assert writer.get("/admin/audit").status_code == 403
    settings = writer.get("/admin/settings")  # what matters to staff, without the environment
    assert settings.status_code == 200 and "模板消息" in settings.text and "DATABASE_URL" not in settings.text
    assert writer.post("/admin/staff", {"username": "x", "password": "Long-enough-pw-1", "role": "admin"}).status_code == 403
    assert 'href="/admin/staff"' not in writer.get("/admin/dashboard").text  # not in the menu either


def test_viewer_sees_no_edit_buttons(console):
    reader = console("reader")
    assert "修改这个条目" not in reader.get("/admin/kb/entry/cert.apply").text
    assert "发布新岗位" not in reader.get("/admin/jobs").text
    assert "写通知" not in reader.get("/admin/notices").text
    assert "新建场次" not in reader.get("/admin/rounds").text
    assert 'href="/admin/facts/' not in reader.get("/admin/facts").text
    assert "修改这个条目" in console("writer").get("/admin/kb/entry/cert.apply").text


def test_posts_without_csrf_token_are_refused(console):
    writer = console("writer")
    resp = writer.post("/admin/facts/county.clf_phone", {"value": "0577-0000000"}, token=False)
    assert resp.status_code == 400 and "表单已过期" in resp.text
    resp = writer.post("/admin/facts/county.clf_phone", {"value": "0577-0000000", "csrf_token": "forged"})
    assert resp.status_code == 400
    login = Console(writer.client.application.test_client()).client.post(
        "/admin/login", data={"username": "writer", "password": PASSWORD})
    assert login.status_code == 400


def test_webhook_and_simulator_are_not_subject_to_console_csrf(app, settings, console):
    # The console's CSRF check must not break WeChat's callbacks or the simulator (no browser form
    # there), even in a client that holds a console session (cookie, no token).
    client = console("writer").client
    reply = WeChatHTTP(client, settings).text("菜单", openid="o_csrf")
    assert "1." in reply["text"]
    resp = client.post("/simulator/send", json={"type": "text", "text": "菜单", "openid": "o_sim_csrf"})
    assert resp.status_code == 200 and resp.get_json()["status"] == 200
    assert "1." in resp.get_json()["text"]


def test_open_redirect_after_login_is_refused(staff, app):
    client = app.test_client()
    page = client.get("/admin/login?next=https://evil.example/")
    resp = client.post("/admin/login", data={"csrf_token": csrf_token(page.text), "username": "writer",
                                             "password": PASSWORD, "next": "https://evil.example/"})
    assert resp.headers["Location"].endswith("/admin/dashboard")


def test_security_headers(console):
    resp = console("reader").get("/admin/dashboard")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


def test_account_rules():
    with pytest.raises(accounts.AccountError):
        accounts.check_password_rules("writer", "short")
    with pytest.raises(accounts.AccountError):
        accounts.check_password_rules("writer", "writer-1234567")
    with pytest.raises(accounts.AccountError):
        accounts.check_password_rules("writer", "aaaaaaaaaaaa")


def test_last_admin_cannot_be_demoted(app, staff):
    with app.extensions["wxbot"].sessions.begin() as db:
        with pytest.raises(accounts.AccountError):
            accounts.set_role(db, accounts.find(db, "boss"), "viewer", "test")


def test_settings_page_hides_secrets(app, console):
    page = console("boss").get("/admin/settings").text
    assert "DATABASE_URL" in page and "demo-secret-key-change-me" not in page and "demo-data-key-change-me" not in page
