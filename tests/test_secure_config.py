"""Production refuses demo, missing or short secrets, and a DATA_KEY other than the database's."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import DEMO, ROOT, Settings
from bot.privacy.startup_check import InsecureSettings, fresh_values

GOOD = {"SECRET_KEY": "s" * 20 + "ecret-key-long-enough-1", "DATA_KEY": "d" * 20 + "ata-key-long-enough-22",
        "WECHAT_TOKEN": "Tok3nOfTheBackOffice", "WECHAT_APP_SECRET": "0123456789abcdef0123456789abcdef"}


def production_env(database_url: str, **changes) -> dict:
    """The README's production shape: real variables, no WXBOT_DEMO."""
    env = {k: v for k, v in os.environ.items() if k not in (*GOOD, "WXBOT_DEMO")}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=database_url, KNOWLEDGE_DIR=str(ROOT / "knowledge"),
               WECHAT_API_BASE="http://127.0.0.1:9", **GOOD)
    for var, value in changes.items():
        if value is None:
            env.pop(var, None)
        else:
            env[var] = value
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def wxbot(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run(["-m", "bot.cli.main", *args], env)


CREATE_APP = "from webhook import create_app; create_app(); print('started')"


@pytest.mark.parametrize("var, value, says", [
    ("SECRET_KEY", None, "SECRET_KEY is not set"),
    ("DATA_KEY", DEMO["DATA_KEY"], "DATA_KEY is not set (or is the public demo value)"),
    ("WECHAT_TOKEN", DEMO["WECHAT_TOKEN"], "WECHAT_TOKEN is not set"),
    ("WECHAT_APP_SECRET", None, "WECHAT_APP_SECRET is not set"),
    ("SECRET_KEY", "short-but-not-demo", "SECRET_KEY is too short (18 characters; at least 32)"),
    ("WECHAT_TOKEN", "abc123", "WECHAT_TOKEN is too short"),
])
def test_gunicorn_app_refuses_unsafe_secrets(database_url, var, value, says):
    result = run(["-c", CREATE_APP], production_env(database_url, **{var: value}))
    assert result.returncode != 0 and "started" not in result.stdout
    assert says in result.stderr and "wxbot secrets" in result.stderr


def test_scheduler_and_personal_data_commands_refuse_demo_secrets(database_url):
    env = production_env(database_url, SECRET_KEY=None, DATA_KEY=None)  # the README before this fix
    for args in (["scheduler", "--once"], ["staff", "create", "--username", "wang", "--password", "Long-pass-123"],
                 ["token", "create", "--name", "feed"], ["rounds", "list"], ["certs", "import", "x.xlsx"]):
        result = wxbot(env, *args)
        assert result.returncode == 78, (args, result.stderr)
        assert "SECRET_KEY is not set" in result.stderr and "DATA_KEY is not set" in result.stderr
    assert "--once" in wxbot(env, "scheduler", "--help").stdout  # help still works


def test_production_starts_with_safe_secrets_and_wxbot_secrets_prints_them(database_url):
    printed = wxbot(production_env(database_url), "secrets").stdout
    values = dict(line.removeprefix("export ").split("=", 1) for line in printed.splitlines()
                  if line.startswith("export "))
    assert set(values) == {"SECRET_KEY", "DATA_KEY", "WECHAT_TOKEN"}
    assert len(values["WECHAT_TOKEN"]) == 32 and values["WECHAT_TOKEN"].isalnum()
    assert values != fresh_values()  # fresh each time
    result = run(["-c", CREATE_APP], production_env(database_url, **values))
    assert result.returncode == 0 and "started" in result.stdout, result.stderr
    scheduler = wxbot(production_env(database_url, **values), "scheduler", "--once")  # WeChat is offline here
    assert scheduler.returncode != 78 and "refusing" not in scheduler.stderr and "tick" in scheduler.stderr


def test_database_written_with_one_data_key_refuses_another(database_url):
    first = production_env(database_url)
    assert run(["-c", CREATE_APP], first).returncode == 0
    other = production_env(database_url, DATA_KEY="another-data-key-of-enough-length-00")
    for result in (run(["-c", CREATE_APP], other), wxbot(other, "scheduler", "--once")):
        assert result.returncode != 0
        assert "DATA_KEY does not match the key this database was written with" in result.stderr
    assert run(["-c", CREATE_APP], first).returncode == 0  # the right key still starts


def test_demo_mode_also_refuses_a_changed_data_key(settings, services):
    from webhook import create_app
    create_app(settings)
    with pytest.raises(InsecureSettings, match="DATA_KEY does not match"):
        create_app(settings.with_(data_key="a-different-key"))


def test_existing_personal_data_is_checked_when_no_check_value_was_recorded(settings):
    from sqlalchemy import delete

    from bot.db import session_factory
    from bot.models_meta import AppMeta
    from bot.people.models import CertRecord
    from bot.privacy.pii import encrypt
    from bot.privacy.startup_check import check_data_key
    sessions = session_factory(settings.database_url)
    with sessions.begin() as s:  # a database from before the check value existed
        s.execute(delete(AppMeta))
        s.add(CertRecord(id_hash="h" * 64, business_type="新办", id_enc=encrypt(settings.data_key, "330326199001011234"),
                         name_enc=encrypt(settings.data_key, "张三"), name_hash="n" * 64, id_tail="1234",
                         step="受理", row_hash="r" * 64))
    with pytest.raises(InsecureSettings, match="cannot decrypt"):
        check_data_key(settings.with_(data_key="not-the-key-the-rows-were-written-with"))
    check_data_key(settings)  # the right key records the check value and starts
    with pytest.raises(InsecureSettings, match="does not match"):
        check_data_key(settings.with_(data_key="not-the-key-the-rows-were-written-with"))


def test_settings_from_env_reads_demo_flag():
    assert Settings.from_env({"WXBOT_DEMO": "1"}).demo and not Settings.from_env({}).demo
