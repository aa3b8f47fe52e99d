"""`wxbot jobs …` (import, list, withdraw, expire, digest) and `wxbot token …` (staff API tokens)."""
from __future__ import annotations

import logging
import sys

import click

from bot.cli_common import cli_actor
from bot.config import Settings
from bot.db import session_factory

log = logging.getLogger(__name__)


def _sessions():
    settings = Settings.from_env()
    return settings, session_factory(settings.database_url)


@click.group()
def jobs() -> None:
    """Job postings: import a spreadsheet, list, withdraw."""


@jobs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and print the report; save nothing.")
def jobs_import(file: str, dry_run: bool) -> None:
    """Import postings from FILE (.xlsx or .csv); a report line per row. Exit 1 if any row failed.

    Rows are matched by the 编号 (external id) column, so importing the same file again updates
    instead of duplicating; rows without one get an id from 用人单位 + 岗位名称 + 乡镇.
    """
    from bot.jobs.import_file import ImportFileError, import_file
    settings, sessions = _sessions()
    try:
        with sessions.begin() as session:
            report = import_file(session, file, actor=cli_actor(), knowledge_dir=settings.knowledge_dir,
                                 dry_run=dry_run)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo("（试运行：没有保存任何内容 / dry run: nothing saved）")
    if not report.ok:
        sys.exit(1)


@jobs.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include withdrawn and expired postings.")
def jobs_list(show_all: bool) -> None:
    """Postings with their views (most viewed first)."""
    from bot.jobs.postings import view_stats
    _settings, sessions = _sessions()
    with sessions() as session:
        rows = view_stats(session, include_closed=show_all)
    click.echo("id\texternal_id\tstatus\tvalid_until\tviews\tviewers\ttitle\temployer")
    for r in rows:
        click.echo(f"{r['id']}\t{r['external_id']}\t{r['status']}\t{r['valid_until']}\t{r['views']}\t"
                   f"{r['viewers']}\t{r['title']}\t{r['employer']}")


@jobs.command("withdraw")
@click.argument("job_id")
def jobs_withdraw(job_id: str) -> None:
    """Withdraw the posting with external id JOB_ID (or numeric id): residents stop seeing it at once."""
    from bot.jobs.models import JobPosting
    from bot.jobs.postings import PostingNotFound, withdraw_posting
    _settings, sessions = _sessions()
    with sessions.begin() as session:
        external_id = job_id
        if job_id.isdigit() and session.query(JobPosting).filter_by(external_id=job_id).first() is None:
            posting = session.get(JobPosting, int(job_id))
            external_id = posting.external_id if posting else job_id
        try:
            posting = withdraw_posting(session, external_id, actor=cli_actor())
        except PostingNotFound as exc:
            raise click.ClickException(f"没有这个岗位 / no such job: {job_id}") from exc
        click.echo(f"已撤下 / withdrawn: {posting.external_id} {posting.title}")


@jobs.command("expire")
def jobs_expire() -> None:
    """Mark postings past their end date as expired (the scheduler does this too)."""
    from bot.jobs.postings import expire_postings
    _settings, sessions = _sessions()
    click.echo(f"expired: {expire_postings(sessions)}")


@jobs.command("digest")
def jobs_digest() -> None:
    """Queue today's digests now (at most one per subscriber per day; 09:00–20:00 only)."""
    from bot.jobs.digest import send_job_digests
    settings, sessions = _sessions()
    click.echo(f"digests queued: {send_job_digests(sessions, settings)}")


@click.group()
def token() -> None:
    """Bearer tokens for the staff API (/api/v1/)."""


@token.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. the job-centre sync.")
@click.option("--read-only", is_flag=True, help="May only GET.")
def token_create(name: str, read_only: bool) -> None:
    """Create a token; it is printed once, on the last line, and only its hash is stored."""
    from bot.api.auth import create_token
    _settings, sessions = _sessions()
    with sessions.begin() as session:
        row, secret = create_token(session, name, read_only=read_only, actor=cli_actor())
        click.echo(f"token {row.id} for {row.name!r}{' (read-only)' if read_only else ''}; store it now, "
                   "it cannot be shown again:")
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """Tokens (never the secrets): id, name, prefix, read-only, last used, revoked."""
    from bot.api.auth import list_tokens
    _settings, sessions = _sessions()
    with sessions() as session:
        for t in list_tokens(session):
            state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
            click.echo(f"{t.id}\t{t.name}\t{t.prefix}…\t{'read-only' if t.read_only else 'read-write'}\t"
                       f"{t.last_used_at or '-'}\t{state}")


@token.command("revoke")
@click.option("--name", help="Revoke every active token with this name.")
@click.option("--id", "token_id", type=int, help="Revoke one token by id.")
def token_revoke(name: str | None, token_id: int | None) -> None:
    """Revoke tokens: requests with them get 403 from now on."""
    from bot.api.auth import revoke_tokens
    if not name and token_id is None:
        raise click.UsageError("give --name or --id")
    _settings, sessions = _sessions()
    with sessions.begin() as session:
        count = revoke_tokens(session, name=name, token_id=token_id, actor=cli_actor())
    click.echo(f"revoked: {count}")


__all__ = ["jobs", "token"]
