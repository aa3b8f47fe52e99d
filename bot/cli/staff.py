"""`wxbot staff …`: console accounts from the terminal (the first admin is created here)."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import click
from sqlalchemy import select

from bot.admin import accounts
from bot.admin.accounts import is_locked
from bot.admin.blueprint import localtime
from bot.admin.models import Staff
from bot.cli.common import cli_actor
from bot.config import Settings
from bot.db import session_factory

log = logging.getLogger(__name__)
ROLE_CHOICE = click.Choice(["admin", "editor", "viewer"])


def _sessions():
    return session_factory(Settings.from_env().database_url)


@click.group()
def staff() -> None:
    """Console accounts (/admin): create, list, reset passwords."""


@staff.command("create")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters; prompted (hidden) when omitted.")
@click.option("--role", type=ROLE_CHOICE, default="viewer", show_default=True,
              help="admin: accounts and settings; editor: content, jobs, notices, rounds; viewer: read only.")
@click.option("--name", "display_name", default=None, help="Display name shown in the console.")
def staff_create(username: str, password: str, role: str, display_name: str | None) -> None:
    """Create a console account."""
    try:
        with _sessions().begin() as db:
            accounts.create(db, username, password, role, cli_actor(), display_name)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {username} ({role})")


@staff.command("list")
def staff_list() -> None:
    """List console accounts with role, state and last login."""
    with _sessions()() as db:
        people = list(db.scalars(select(Staff).order_by(Staff.username)))
    if not people:
        click.echo("no accounts yet: wxbot staff create --username NAME --role admin")
    for p in people:
        state = "disabled" if not p.active else "locked" if is_locked(p) else "active"
        click.echo(f"{p.username:<20} {p.role:<7} {state:<8} last login {localtime(p.last_login) or 'never'}")


@contextmanager
def _account(username: str):
    """(transaction, the named account); a missing account or a refused change is a plain CLI error."""
    try:
        with _sessions().begin() as db:
            person = accounts.find(db, username)
            if person is None:
                raise click.ClickException(f"no account named {username}")
            yield db, person
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@staff.command("reset-password")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The new password; prompted (hidden) when omitted.")
def staff_reset_password(username: str, password: str) -> None:
    """Set a new password, unlock the account and end its open sessions."""
    with _account(username) as (db, person):
        accounts.set_password(db, person, password, cli_actor())
    click.echo(f"password of {username} reset; its sessions are signed out")


@staff.command("set-role")
@click.option("--username", required=True)
@click.option("--role", type=ROLE_CHOICE, required=True)
def staff_set_role(username: str, role: str) -> None:
    """Change an account's role."""
    with _account(username) as (db, person):
        accounts.set_role(db, person, role, cli_actor())
    click.echo(f"{username} is now {role}")
