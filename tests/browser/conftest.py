"""Browser fixtures: the app on live_server with a temporary knowledge/ copy, staff accounts, and
headless Debian Chromium through Playwright. Screenshots go to test-artifacts/screenshots/ (CI keeps them).

Without /usr/bin/chromium (or Playwright) the tests skip with the reason — except under CI=true,
where a missing browser fails the run instead of silently testing nothing.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.config import ROOT

from tests.support.console import ACCOUNTS, PASSWORD, create_accounts

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def playwright_expect():
    """Playwright's expect(), or skip the module (fail under CI) when Playwright is not installed."""
    try:
        from playwright.sync_api import expect
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("browser tests skipped: playwright is not installed (pip install -e '.[dev]')",
                    allow_module_level=True)
    return expect


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def settings(settings, knowledge_copy):
    """Console edits in the browser land in a temporary copy of knowledge/, never the repository."""
    return settings.with_(knowledge_dir=str(knowledge_copy))


@pytest.fixture(autouse=True)
def instant_reload(monkeypatch):
    from bot.answers import knowledge
    monkeypatch.setattr(knowledge, "RELOAD_CHECK_SECONDS", 0.0)


@pytest.fixture
def site(live_server, app):
    create_accounts(app.extensions["wxbot"])
    return live_server


class Staff:
    """One signed-in browser context (desktop or phone size) with screenshot helpers."""

    def __init__(self, context, base: str, test_name: str):
        self.context, self.base, self.test_name = context, base, test_name
        self.page = context.new_page()
        self.page.set_default_timeout(15_000)

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/admin/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_label("密码").press("Enter")
        self.page.wait_for_url(re.compile(r"/admin/dashboard$"))

    def shot(self, name: str, full_page: bool = True) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"]
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{self.test_name}-{name}").strip("_")
        path = SHOTS / f"{safe}-{width}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        if full_page and self.page.evaluate("document.documentElement.scrollHeight") > 3 * self.page.viewport_size["height"]:
            # A long page shrinks to nothing in an image viewer: keep its first screen as well.
            self.page.screenshot(path=str(path.with_name(path.stem + "-top.png")))
        return path

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the screen (0 = no sideways scrolling).

        Compared with the configured width, not innerWidth: a mobile browser zooms out to fit wide
        content, which makes innerWidth grow with the overflow."""
        return self.page.evaluate("document.documentElement.scrollWidth") - self.page.viewport_size["width"]

    def too_wide(self) -> list[str]:
        """The elements sticking out on the right (to say what to fix)."""
        return self.page.evaluate("""(w) => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > w + 0.5)
            .map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
            .slice(0, 8)""", self.page.viewport_size["width"])

    def unlabelled_controls(self) -> list[str]:
        """Form controls a screen reader would announce without a name."""
        return self.page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length)
                    && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
                    && !(el.tagName === 'BUTTON' && el.textContent.trim()))
            .map(el => el.outerHTML.slice(0, 120))""")


@pytest.fixture
def browser_for(chromium, site, request):
    """browser_for("writer", phone=False) → a signed-in Staff; contexts closed after the test."""
    contexts = []

    def make(username: str | None = None, phone: bool = False) -> Staff:
        context = chromium.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN",
                                       device_scale_factor=1, is_mobile=phone, has_touch=phone)
        contexts.append(context)
        staff = Staff(context, site, request.node.name.removeprefix("test_"))
        if username:
            staff.login(username)
        return staff

    yield make
    for context in contexts:
        context.close()


__all__ = ["ACCOUNTS"]
