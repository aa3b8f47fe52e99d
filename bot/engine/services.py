"""Long-lived objects of one process: settings, DB sessions, router, knowledge, WeChat client."""
from __future__ import annotations

import os
import time
from functools import cached_property

from bot.answers.local_facts import LocalFacts
from bot.config import Settings
from bot.db import session_factory
from bot.engine.features import Features, installed
from bot.engine.router import Router
from bot.privacy.pii import install_log_scrubbing
from bot.wechat.client import WeChatAPI

RELOAD_CHECK_SECONDS = 2.0


class Services:
    def __init__(self, settings: Settings, features: Features | None = None):
        self.settings = settings
        self.features = features or installed()  # the composition root's list (handlers/__init__.py)
        install_log_scrubbing()  # residents type ID and phone numbers; logs never keep them whole
        self.sessions = session_factory(settings.database_url)
        self._local: tuple[float, LocalFacts] | None = None
        self._checked_at = 0.0

    @cached_property
    def router(self) -> Router:
        return Router.from_features(self.features)

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
        """The WeChat API client (reads the stored access token; see bot.wechat.client)."""
        return WeChatAPI(self.settings, self.sessions)
