"""The `wxbot` console script: serve, db, chat, plus the commands each capability adds."""
from __future__ import annotations

import importlib
import logging
import os

import click

from bot.config import DEMO, Settings
from bot.pii import install_log_scrubbing

# name → module exporting it; a module not installed yet simply adds nothing.
EXTRA_COMMANDS = {
    "bot.cli_kb": ["ask", "eval_cmd", "kb"],
    "bot.cli_delivery": ["fake_wechat", "scheduler", "notices", "menu"],
    "bot.cli_people": ["certs"],
    "bot.cli_booking": ["rounds"],
    "bot.cli_jobs": ["jobs", "token"],
    "bot.cli_admin": ["staff"],
}


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def cli(verbose: bool) -> None:
    """平阳县残联公众号助手 — WeChat assistant of the county Disabled Persons' Federation."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_scrubbing()


@cli.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database named by DATABASE_URL."""
    from bot import migrate
    settings = Settings.from_env()
    migrate.upgrade(settings)
    click.echo(f"database up to date: {settings.database_url.split('@')[-1]}")


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    from bot import migrate
    migrate.revision(Settings.from_env(), message)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 8000)), show_default="PORT or 8000")
@click.option("--demo", is_flag=True, help="Demo mode: print settings, start the fake WeChat API and the "
              "scheduler in-process, enable the simulator.")
def serve(host: str, port: int, demo: bool) -> None:
    """Serve the webhook (and the simulator in demo mode). Production: gunicorn, see README."""
    from bot.demo import serve_demo
    from webhook import create_app
    if demo:
        serve_demo(host, port)
        return
    create_app().run(host=host, port=port, threaded=True)


@cli.command()
@click.option("--openid", default="o_terminal", show_default=True)
@click.option("--encrypt", is_flag=True, help="Use safe mode (AES) like a production account.")
def chat(openid: str, encrypt: bool) -> None:
    """Chat with the assistant in the terminal through the real /wechat path."""
    from bot.terminal_chat import run_chat
    run_chat(openid, encrypt)


def _install_extra_commands() -> None:
    for module_name, names in EXTRA_COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for name in names:
            if hasattr(module, name):
                cli.add_command(getattr(module, name))


_install_extra_commands()


def main() -> None:
    cli()


__all__ = ["cli", "main", "DEMO"]


if __name__ == "__main__":
    main()
