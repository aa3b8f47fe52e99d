"""Settings: one frozen dataclass built from the environment, shared by web, scheduler and CLI."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Demo values: printed by `make run` so a newcomer can point the simulator at them.
DEMO = {
    "WECHAT_TOKEN": "demo-token",
    "WECHAT_APP_ID": "wxdemo0000000000",
    "WECHAT_APP_SECRET": "demo-secret",
    "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "WECHAT_API_BASE": "http://127.0.0.1:8001",
    "SECRET_KEY": "demo-secret-key-change-me",
    "DATA_KEY": "demo-data-key-change-me",
}


def _default_db_url() -> str:
    return f"sqlite:///{ROOT / 'var' / 'wxbot.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    wechat_token: str = DEMO["WECHAT_TOKEN"]
    wechat_app_id: str = DEMO["WECHAT_APP_ID"]
    wechat_app_secret: str = DEMO["WECHAT_APP_SECRET"]
    wechat_account: str = "gh_demo_account"  # the account's original id (gh_…), ToUserName
    wechat_aes_key: str = ""  # EncodingAESKey; when set, only encrypted messages are accepted (safe mode)
    wechat_compat_mode: bool = False  # with the AES key, also accept plaintext bodies (兼容模式 opt-in)
    wechat_api_base: str = "https://api.weixin.qq.com"
    database_url: str = field(default_factory=_default_db_url)
    secret_key: str = DEMO["SECRET_KEY"]
    data_key: str = DEMO["DATA_KEY"]
    redis_url: str = ""
    knowledge_dir: str = str(ROOT / "knowledge")
    max_body_bytes: int = 64 * 1024
    log_retention_days: int = 180
    flow_timeout_minutes: int = 30
    # True only for `make run`: web process also runs the scheduler ticks (demo convenience).
    embedded_scheduler: bool = False
    # Whether this process may refresh the access token (the scheduler; never web workers).
    token_owner: bool = False
    api_timeout_seconds: float = 5.0
    # The web simulator sends messages as any openid: on for `make run` and tests, off by default.
    simulator_enabled: bool = False
    # Demo mode (`make run`, the tests): demo secrets allowed. Off, every process refuses to start on
    # a missing, demo or short secret (bot/privacy/startup_check.py).
    demo: bool = False
    # Console cookie only over HTTPS (production behind nginx + TLS).
    session_cookie_secure: bool = False
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (nginx: 1).
    proxy_count: int = 0

    ENV = {
        "wechat_token": "WECHAT_TOKEN", "wechat_app_id": "WECHAT_APP_ID",
        "wechat_app_secret": "WECHAT_APP_SECRET", "wechat_aes_key": "WECHAT_AES_KEY",
        "wechat_api_base": "WECHAT_API_BASE", "database_url": "DATABASE_URL",
        "secret_key": "SECRET_KEY", "data_key": "DATA_KEY", "redis_url": "REDIS_URL",
        "knowledge_dir": "KNOWLEDGE_DIR", "log_retention_days": "LOG_RETENTION_DAYS",
        "flow_timeout_minutes": "FLOW_TIMEOUT_MINUTES", "embedded_scheduler": "EMBEDDED_SCHEDULER",
        "simulator_enabled": "SIMULATOR", "wechat_account": "WECHAT_ACCOUNT",
        "demo": "WXBOT_DEMO", "session_cookie_secure": "SESSION_COOKIE_SECURE", "proxy_count": "PROXY_COUNT",
        "wechat_compat_mode": "WECHAT_COMPAT_MODE",
    }

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        values = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, var in cls.ENV.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            kind = types[name]
            if kind in ("int", int):
                values[name] = int(raw)
            elif kind in ("bool", bool):
                values[name] = raw.lower() in ("1", "true", "yes", "on")
            else:
                values[name] = raw
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def describe(self) -> str:
        """Human-readable settings with secrets shortened, for `make run` / logs."""
        lines = []
        for name, var in self.ENV.items():
            value = str(getattr(self, name))
            if any(s in var for s in ("SECRET", "KEY", "TOKEN")) and len(value) > 8:
                value = value[:4] + "…" + value[-2:]
            lines.append(f"  {var}={value}")
        return "\n".join(lines)
