"""The terminal simulator and the migration command, as a newcomer would run them."""
from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from bot.cli.main import cli
from bot.config import ROOT


def test_wxbot_chat_talks_through_the_real_webhook(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(cli, ["chat", "--encrypt"], input="菜单\n6\n:菜单 MAIN\n:语音 \n:退出\n")
    assert result.exit_code == 0, result.output
    assert "欢迎关注" in result.output  # the subscribe greeting
    assert "1. 政策咨询" in result.output and "电话" in result.output
    assert "没有听清" in result.output  # an empty voice transcript asks to repeat


def test_db_upgrade_creates_a_fresh_sqlite_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite3", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "bot.cli.main", "db", "upgrade"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "fresh.sqlite3").exists()


def test_every_command_has_help():
    runner = CliRunner()
    names = cli.list_commands(click.Context(cli))
    assert {"db", "serve", "scheduler", "rounds", "jobs", "kb", "certs", "staff"} <= set(names)
    for name in names:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage" in result.output


def test_wxbot_chat_on_a_database_never_migrated(tmp_path, monkeypatch):
    """A newcomer's first command may be `wxbot chat`: it creates the schema instead of a traceback."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = CliRunner().invoke(cli, ["chat"], input="我不想活了\n:退出\n")
    assert result.exit_code == 0, result.output
    assert "欢迎关注" in result.output and "12356" in result.output
