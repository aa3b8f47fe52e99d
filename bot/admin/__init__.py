"""The staff console at /admin: server-rendered Chinese pages over the capabilities' service functions.

Each page group is a views module (bot/admin/views/) that a feature lists in Feature.pages
(handlers/__init__.py); importing one registers nothing: register() adds the listed modules' ROUTES to
a blueprint made for each app (webhook.create_app calls it via BLUEPRINTS). Choices, for operators:

- Accounts come from `wxbot staff create`; passwords are werkzeug scrypt hashes. Wrong passwords
  block only the address they come from (bot/admin/throttle.py; an admin can unlock), with one answer
  for every failure. Sessions are rows (bot/admin/console_sessions.py): logout, 30 idle minutes
  (ADMIN_IDLE_MINUTES), a password reset, role change or disabling end them, copied cookies included.
  Roles: admin (accounts, audit log, settings, export), editor (content, jobs, notices, rounds,
  imports), viewer (read only: buttons are not shown and POSTs get 403).
- CSRF is checked on every console POST (Flask-WTF, only under /admin: the WeChat callback, the
  simulator and the bearer-token API are not browser forms). Set SESSION_COOKIE_SECURE=1 behind HTTPS.
- knowledge/ stays what the matcher reads: saving an entry or a local fact writes the YAML file at
  once (atomically; local.yaml is edited line by line so its comments survive) and records the before
  and after in knowledge_edit. With several hosts, "导出到 knowledge/" rewrites a host's files from
  those rows. An edit made against an older version of a file is refused, not merged.
- The registry import runs in a background thread; its progress lives in the admin_task table, so the
  progress page works whichever worker answers (a worker that dies leaves the task "running").
- Personal data: whole ID/certificate numbers never reach a page (masked with bot.privacy.pii); record views,
  searches, booking lists and route sheets are audited by the capability functions the pages call;
  pages are sent with Cache-Control: no-store and a strict Content-Security-Policy (no inline script).
"""
from __future__ import annotations

import importlib
import logging

from bot.admin import auth
from bot.admin.blueprint import install_template_helpers, make_blueprint

log = logging.getLogger(__name__)


def register(app, services) -> None:
    """The console for this app: a fresh blueprint with the pages its features list (Feature.pages)."""
    bp = make_blueprint()
    loaded = []
    for module in services.features.pages:
        # By name: handlers/ (read by the scheduler and the CLI too) need not import Flask views.
        importlib.import_module(module).ROUTES.add_to(bp)
        loaded.append(module.rsplit(".", 1)[-1])
    auth.init_app(app)
    app.config["ADMIN_PAGES"] = set(loaded)
    install_template_helpers(app)
    if "admin" not in app.blueprints:
        app.register_blueprint(bp)
