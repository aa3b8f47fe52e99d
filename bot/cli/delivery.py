"""CLI commands of the delivery capability: scheduler, notices, menu push, the fake WeChat API."""
from __future__ import annotations

import datetime as dt
import json
import sys

import click
from sqlalchemy import select

from bot.cli.common import cli_when
from bot.config import Settings
from bot.db import LOCAL_TZ, session_factory
from bot.devtools.fake_wechat.server import main as fake_wechat  # noqa: F401  (exported: `wxbot fake-wechat`)
from bot.notices import service as svc
from bot.outbox.models import Notice
from bot.outbox.notify import delivery_report
from bot.wechat.client import WeChatAPI
from bot.wechat.errors import WeChatError


def _local(at: dt.datetime | None) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at else "-"


def _quota(session, settings) -> None:
    """The same quota line and rule the console shows."""
    quota = svc.quota_summary(session, settings.knowledge_dir)
    click.echo(f"mass sends left today: {quota['remaining']} — {quota['line']}")
    click.echo(quota["rule"])


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every tick once and exit.")
def scheduler(once: bool) -> None:
    """Run the one scheduler process: outbox, notices, token refresh, log retention."""
    from bot.scheduler.runner import run  # why: web workers import this module too, and need no APScheduler
    sys.exit(run(Settings.from_env(token_owner=True), once=once))


@click.group("notices")
def notices() -> None:
    """Event notices broadcast to followers."""


@notices.command("add")
@click.option("--title", required=True, help="≤ 64 characters.")
@click.option("--body", required=True, help="≤ 600 characters; put long texts behind --link.")
@click.option("--audience", default="all", show_default=True,
              help="all | town:NAME | registered | subscribers | round:ID")
@click.option("--at", "at", help="When to send (ISO, Beijing time); default: at the next scheduler run.")
@click.option("--time", "event_time", help="When the event takes place (ISO, Beijing time).")
@click.option("--place", help="Where the event takes place.")
@click.option("--link", help="A page with details (http/https).")
@click.option("--by", "created_by", default="cli", show_default=True, help="Who composed it.")
@click.option("--draft", is_flag=True, help="Save without scheduling.")
@click.option("--urgent", is_flag=True, help="Send even in quiet hours (21:00–08:00 Beijing time).")
def notices_add(title, body, audience, at, event_time, place, link, created_by, draft, urgent) -> None:
    """Compose a notice and schedule it (quiet hours and the mass-send quota may move it)."""
    settings = Settings.from_env()
    sessions = session_factory(settings.database_url)
    try:
        with sessions.begin() as session:
            notice = svc.create(session, title=title, body=body, audience=audience,
                                event_at=cli_when(event_time), place=place, link=link, scheduled_at=cli_when(at),
                                created_by=created_by, draft=draft, urgent=urgent,
                                knowledge_dir=settings.knowledge_dir)
            click.echo(f"notice {notice.id}: {notice.status} for {_local(notice.scheduled_at)}"
                       f" → {notice.audience}" + (" (urgent)" if notice.urgent else ""))
            if notice.status == "scheduled":
                click.echo(svc.timing(notice))
            _quota(session, settings)
            click.echo("---\n" + svc.compose_text(notice))
    except svc.NoticeError as exc:
        raise click.ClickException("；".join(exc.errors)) from exc


@notices.command("list")
@click.option("--limit", default=20, show_default=True)
def notices_list(limit: int) -> None:
    """Latest notices with their status, when they go (and why they wait), the quota."""

    settings = Settings.from_env()
    with session_factory(settings.database_url)() as session:
        for n in session.scalars(select(Notice).order_by(Notice.id.desc()).limit(limit)):
            when = svc.timing(n, session=session)
            click.echo(f"{n.id:>4}  {n.status:<9}  at {_local(n.scheduled_at)}  sent {_local(n.sent_at)}  "
                       f"{n.audience:<16} {n.title}" + (" (urgent)" if n.urgent else "")
                       + (f"  — {when}" if when else "") + (f"  [{n.last_error}]" if n.last_error else ""))
        _quota(session, settings)


@notices.command("cancel")
@click.argument("notice_id", type=int)
def notices_cancel(notice_id: int) -> None:
    """Cancel a notice that has not gone out yet."""
    with session_factory(Settings.from_env().database_url).begin() as session:
        if not svc.cancel(session, notice_id):
            raise click.ClickException(f"notice {notice_id} cannot be cancelled "
                                       "(unknown, finished or already sent)")
    click.echo(f"notice {notice_id} cancelled")


@notices.command("send")
@click.argument("notice_id", type=int)
@click.option("--urgent", is_flag=True, help="Send even in quiet hours (21:00–08:00 Beijing time).")
def notices_send(notice_id: int, urgent: bool) -> None:
    """Send a draft or scheduled notice now (or as soon as quiet hours and the quota allow)."""
    settings = Settings.from_env()
    try:
        with session_factory(settings.database_url).begin() as session:
            notice = svc.send_now(session, notice_id, urgent=True if urgent else None,
                                  knowledge_dir=settings.knowledge_dir)
            click.echo(f"notice {notice_id}: {svc.timing(notice)}")
            _quota(session, settings)
    except svc.NoticeError as exc:
        raise click.ClickException("；".join(exc.errors)) from exc


@notices.command("report")
@click.argument("notice_id", type=int, required=False)
def notices_report(notice_id: int | None) -> None:
    """Delivery report (JSON): of one notice, or of all outgoing messages."""
    settings = Settings.from_env()
    with session_factory(settings.database_url)() as session:
        data = (svc.report(session, notice_id, settings.knowledge_dir) if notice_id
                else delivery_report(session, knowledge_dir=settings.knowledge_dir))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group("menu")
def menu() -> None:
    """The account's custom menu."""


@menu.command("push")
def menu_push() -> None:
    """Push knowledge/menu.yaml to WeChat as the custom menu."""
    settings = Settings.from_env(token_owner=True)
    try:
        WeChatAPI(settings, session_factory(settings.database_url)).menu_create_from_file()
    except WeChatError as exc:
        raise click.ClickException(f"WeChat refused the menu: {exc.summary}") from exc
    click.echo("menu pushed")
