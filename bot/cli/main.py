"""The `wxbot` console script: serve, db, chat, plus the commands each feature declares (Feature.cli)."""
from __future__ import annotations

import logging
import os

import click

from bot import migrate
from bot.config import DEMO, Settings
from bot.engine.features import installed
from bot.privacy.pii import install_log_scrubbing
from bot.privacy.startup_check import InsecureSettings, fresh_values, require_production_ready

# Commands that never read personal data (or check for themselves: serve → create_app); every other
# command refuses to run outside demo mode on unsafe secrets (bot/privacy/startup_check.py).
UNGUARDED = {"secrets", "db", "serve", "chat", "ask", "eval", "kb", "fake-wechat"}


class _Group(click.Group):
    """The built-in commands here plus the features' own, looked up when a command line is parsed."""

    def _feature_commands(self) -> dict[str, click.Command]:
        return {command.name: command for command in installed().cli}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self._feature_commands()})

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._feature_commands().get(name)

    def resolve_command(self, ctx, args):
        ctx.meta["wxbot.args"] = list(args)  # the group callback needs them to let `--help` through
        return super().resolve_command(ctx, args)


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """平阳县残联公众号助手 — WeChat assistant of the county Disabled Persons' Federation."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_scrubbing()
    if ctx.invoked_subcommand in UNGUARDED or "--help" in ctx.meta.get("wxbot.args", []):
        return
    try:
        require_production_ready(Settings.from_env())
    except InsecureSettings as exc:
        click.echo(f"wxbot {ctx.invoked_subcommand}: {exc}", err=True)
        ctx.exit(78)  # EX_CONFIG: a supervisor should not restart it in a loop


@cli.command("secrets")
def secrets_cmd() -> None:
    """Print fresh SECRET_KEY, DATA_KEY and WECHAT_TOKEN values (export them; back up DATA_KEY)."""
    for var, value in fresh_values().items():
        click.echo(f"export {var}={value}")
    click.echo("# WECHAT_TOKEN: enter the same value as 令牌(Token) in the 公众号 back office.\n"
               "# DATA_KEY encrypts personal data: keep a copy apart from the database backups;\n"
               "# losing it loses the data.\n"
               "# One value by hand: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")


@cli.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database named by DATABASE_URL."""
    settings = Settings.from_env()
    migrate.upgrade(settings)
    click.echo(f"database up to date: {settings.database_url.split('@')[-1]}")


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(Settings.from_env(), message)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 8000)), show_default="PORT or 8000")
@click.option("--demo", is_flag=True, help="Demo mode: print settings, start the fake WeChat API and the "
              "scheduler in-process, enable the simulator.")
def serve(host: str, port: int, demo: bool) -> None:
    """Serve the webhook (and the simulator in demo mode). Production: gunicorn, see README."""
    # why: the web app (Flask, every blueprint, the demo) loads only for `serve`, not for every command
    from bot.devtools.demo import serve_demo
    from webhook import create_app
    if demo:
        serve_demo(host, port)
        return
    try:
        app = create_app()
    except InsecureSettings as exc:
        raise click.ClickException(f"{exc}\n(`wxbot serve --demo` runs on the demo values)") from exc
    app.run(host=host, port=port, threaded=True)


@cli.command()
@click.option("--openid", default="o_terminal", show_default=True)
@click.option("--encrypt", is_flag=True, help="Use safe mode (AES) like a production account.")
def chat(openid: str, encrypt: bool) -> None:
    """Chat with the assistant in the terminal through the real /wechat path."""
    from bot.devtools.terminal_chat import run_chat  # why: loads the whole web app, only for `chat`
    run_chat(openid, encrypt)


def main() -> None:
    cli()


__all__ = ["cli", "main", "DEMO"]


if __name__ == "__main__":
    main()
