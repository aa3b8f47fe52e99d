"""Startup refusal: no demo, missing or short secret outside demo mode; DATA_KEY must match the database.

Called by webhook.create_app (gunicorn), and by `wxbot` before every command that touches personal
data (bot/cli/main.py). Demo mode is `wxbot serve --demo` (`make run`), WXBOT_DEMO=1, or Settings(demo=True).
"""
from __future__ import annotations

import secrets
import string

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.config import DEMO, Settings
from bot.db import get_engine, session_factory
from bot.models_meta import AppMeta
from bot.people.models import CertRecord, Registration
from bot.privacy.pii import decrypt, key_check_value


# variable → (Settings attribute, minimum length). WeChat allows a Token of 3–32 letters and digits;
# 16 keeps a signature seen in a log from being brute-forced offline.
REQUIRED = {
    "SECRET_KEY": ("secret_key", 32),
    "DATA_KEY": ("data_key", 32),
    "WECHAT_TOKEN": ("wechat_token", 16),
    "WECHAT_APP_SECRET": ("wechat_app_secret", 16),
}
KEY_CHECK = "data_key_check"
HOW = ("Generate fresh values with `wxbot secrets` (or: python3 -c 'import secrets; "
       "print(secrets.token_urlsafe(48))'). WECHAT_TOKEN and WECHAT_APP_SECRET must equal the values of the "
       "公众号 back office. Back up DATA_KEY with the database: without it personal data cannot be read.")


class InsecureSettings(RuntimeError):
    """The process must not start: the message says which variable is wrong and how to fix it."""


def problems(settings: Settings) -> list[str]:
    """One line per missing, demo or too short secret (empty when the settings are safe)."""
    found = []
    for var, (attr, minimum) in REQUIRED.items():
        value = getattr(settings, attr) or ""
        if not value or value == DEMO[var]:
            found.append(f"{var} is not set (or is the public demo value)")
        elif len(value) < minimum:
            found.append(f"{var} is too short ({len(value)} characters; at least {minimum})")
    if settings.wechat_aes_key and settings.wechat_aes_key == DEMO["WECHAT_AES_KEY"]:
        found.append("WECHAT_AES_KEY is the public demo value (generate it in the 公众号 back office)")
    return found


def require_safe_secrets(settings: Settings) -> None:
    if settings.demo:
        return
    found = problems(settings)
    if found:
        listed = "\n  - ".join(found)
        raise InsecureSettings(f"refusing to start outside demo mode:\n  - {listed}\n{HOW}")


def check_data_key(settings: Settings) -> None:
    """Records DATA_KEY's fingerprint on first start; refuses a different key afterwards.

    A database from before the check value existed is tested on one stored ciphertext instead, so an
    upgrade with the wrong key is refused too. Before `wxbot db upgrade` there is nothing to check.
    """
    if not inspect(get_engine(settings.database_url)).has_table(AppMeta.__tablename__):
        return
    expected = key_check_value(settings.data_key)
    sessions = session_factory(settings.database_url)
    with sessions() as session:
        stored = session.get(AppMeta, KEY_CHECK)
        if stored is None:
            _refuse_if_unreadable(session, settings.data_key)
    if stored is None:
        try:
            with sessions.begin() as session:
                session.add(AppMeta(key=KEY_CHECK, value=expected))
            return
        except IntegrityError:  # another worker recorded it first: compare with that one
            with sessions() as session:
                stored = session.get(AppMeta, KEY_CHECK)
    if stored.value != expected:
        raise InsecureSettings(
            "DATA_KEY does not match the key this database was written with: personal data would be "
            "unreadable. Restore the DATA_KEY you backed up with this database (it cannot be recovered).")


def _refuse_if_unreadable(session, data_key: str) -> None:
    for column in (Registration.name_enc, CertRecord.name_enc):
        # Fernet tokens start with version byte 0x80 ("gAAAAA"): anything else proves nothing about the key.
        sample = session.scalar(select(column).where(column.like("gAAAAA%")).limit(1))
        if sample and decrypt(data_key, sample) is None:
            raise InsecureSettings("DATA_KEY cannot decrypt the personal data already in this database: "
                                   "start with the DATA_KEY it was written with.")


def require_production_ready(settings: Settings) -> None:
    """Everything a process checks before touching personal data."""
    require_safe_secrets(settings)
    check_data_key(settings)


def fresh_values() -> dict[str, str]:
    alnum = string.ascii_letters + string.digits
    return {"SECRET_KEY": secrets.token_urlsafe(48), "DATA_KEY": secrets.token_urlsafe(48),
            "WECHAT_TOKEN": "".join(secrets.choice(alnum) for _ in range(32))}
