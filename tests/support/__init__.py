"""Test support, registered once by tests/conftest.py (pytest_plugins):

- database: a real database per test (SQLite file or PostgreSQL by DATABASE_URL), `settings`, `services`,
  `knowledge_copy`; marks `knowledge_copy` (settings read a temporary copy) and `instant_reload`.
- wechat: drivers that speak WeChat's side (ChatDriver, WeChatHTTP), the app, `live_server`, the fake
  WeChat API (`wx_fake`), and `wait_for` (wait on a condition, never a fixed sleep).
- delivery: settings for the outbox and notices (`dsettings`, `dsessions`), a movable Clock, followers.
- console: staff accounts and a logged-in browser-like client (`console("writer")`).
- signup_flow: a two-step test flow for the engine tests.
"""
