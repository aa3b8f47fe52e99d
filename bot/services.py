"""Long-lived objects of one process: settings, DB sessions, router, knowledge, WeChat client."""
from __future__ import annotations

import importlib
import os
import time
from functools import cached_property

from bot.config import Settings
from bot.db import session_factory
from bot.local_facts import LocalFacts
from bot.pii import install_log_scrubbing

# Fixed priority: menus and flows before free text; policy Q&A is the fallback at the end.
HANDLER_MODULES = [
    "handlers.menu",
    "handlers.registration",
    "handlers.booking",
    "handlers.jobs",
    "handlers.notices",
    "handlers.entitle",
    "handlers.smalltalk",
    "handlers.policy",
]
RELOAD_CHECK_SECONDS = 2.0


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings
        install_log_scrubbing()  # residents type ID and phone numbers; logs never keep them whole
        self.sessions = session_factory(settings.database_url)
        self._local: tuple[float, LocalFacts] | None = None
        self._checked_at = 0.0

    @cached_property
    def router(self):
        from bot.router import Router
        modules = []
        for name in HANDLER_MODULES:
            try:
                modules.append(importlib.import_module(name))
            except ModuleNotFoundError as exc:
                if exc.name != name:  # a real import error inside the module
                    raise
        return Router.from_modules(modules)

    def knowledge_mtime(self) -> float:
        """Newest modification time under knowledge/: a change makes every worker reload."""
        newest = 0.0
        for root, _dirs, files in os.walk(self.settings.knowledge_dir):
            for name in files:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
        return newest

    def local_facts(self) -> LocalFacts:
        now = time.monotonic()
        if self._local is None or now - self._checked_at > RELOAD_CHECK_SECONDS:
            self._checked_at = now
            mtime = self.knowledge_mtime()
            if self._local is None or mtime != self._local[0]:
                self._local = (mtime, LocalFacts.load(self.settings.knowledge_dir))
        return self._local[1]

    def wechat(self):
        """The WeChat API client (reads the stored access token; see bot.wechat_api)."""
        from bot.wechat_api import WeChatAPI
        return WeChatAPI(self.settings, self.sessions)
