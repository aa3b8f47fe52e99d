"""`wxbot jobs …` (import, list, withdraw, expire, digest) and `wxbot token …` (staff API tokens)."""
from __future__ import annotations

import logging
import sys

import click

from bot.api.auth import create_token, list_tokens, revoke_tokens
from bot.cli.common import cli_actor
from bot.config import Settings
from bot import db
from bot.db import LOCAL_TZ, session_factory
from bot.jobs.digest import SEND_HOURS, send_job_digests, subscriber_openids
from bot.jobs.import_file import _ALIASES, ImportFileError, import_file
from bot.jobs.models import CATEGORIES, KINDS, JobPosting
from bot.jobs.postings import PostingNotFound, expire_postings, view_stats, withdraw_posting
from bot.jobs.validation import DEFAULT_DAYS, LABELS, LIMITS, REQUIRED

log = logging.getLogger(__name__)


def _sessions():
    settings = Settings.from_env()
    return settings, session_factory(settings.database_url)


@click.group()
def jobs() -> None:
    """Job postings: import a spreadsheet, list, withdraw."""


def _import_help() -> str:
    """Columns and accepted values, read from the import and validation code so the help never drifts."""

    notes = {"external_id": "同一编号再导入是更新，不会重复；不填则按 用人单位+岗位名称+乡镇 生成",
             "positions": "数字，1–10000；“若干”“不限”也行",
             "categories": f"{'、'.join(CATEGORIES)}，几个用 、隔开；或“不限”",
             "kind": f"{'/'.join(KINDS)}（也认：临时、小时工、居家、庇护…）；不填按全职",
             "contact_phone": "座机带区号或手机，可带“转123”",
             "town": "knowledge/towns.yaml 里的乡镇（“鳌江”也认）",
             "valid_from": "2026-12-31（也认 2026/12/31、2026年12月31日、Excel 日期）；不填为今天",
             "valid_until": f"写法同上；不填为 {DEFAULT_DAYS} 天后；不能早于今天，有效期最长一年"}
    lines = []
    for name, words in _ALIASES.items():
        label = LABELS[name] + (" *" if name in REQUIRED else "")
        limit = f"最多 {LIMITS[name]} 字" if name in LIMITS and name not in notes else ""
        other = "、".join(w for w in words.split() if w != LABELS[name] and not w.isascii())[:30]
        lines.append(f"  {label}：{notes.get(name, limit)}（表头也认：{other}）")
    return ("Import postings from FILE (.xlsx or .csv); a report line per row. Exit 1 if any row failed.\n\n"
            "Valid rows are saved even when others fail; fix the file and import it again.\n\n"
            "\b\n列（* 为必填；表头在前 10 行里，上面可以有标题行）：\n" + "\n".join(lines)
            + "\n\n\b\n示例文件（虚构单位，可直接导入）：knowledge/samples/jobs.xlsx\n"
              "重新生成：.venv/bin/python -m bot.devtools.demo_samples")


@jobs.command("import", help=_import_help())
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and print the report; save nothing.")
def jobs_import(file: str, dry_run: bool) -> None:
    """Import postings (help text: _import_help)."""
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
    _settings, sessions = _sessions()
    count = expire_postings(sessions)
    click.echo(f"expired: {count}" + ("（没有过了截止日期还在显示的岗位）" if not count else ""))


@jobs.command("digest")
def jobs_digest() -> None:
    """Queue today's digests now (at most one per subscriber per day; 09:00–20:00 only)."""
    settings, sessions = _sessions()
    now = db.utcnow()  # read through the module: the one clock tests move
    queued = send_job_digests(sessions, settings, now)
    click.echo(f"digests queued: {queued}")
    if not queued:
        click.echo(_why_none(now.astimezone(LOCAL_TZ).hour, SEND_HOURS, sessions, subscriber_openids))


def _why_none(hour: int, send_hours: range, sessions, subscriber_openids) -> str:
    """Why nothing was queued, in words: "0" alone reads like a fault."""
    if hour not in send_hours:
        when = "清晨" if 5 <= hour < send_hours.start else "夜间"
        return (f"现在是{when}（北京时间 {hour} 点），岗位摘要只在 {send_hours.start}:00–{send_hours.stop}:00 发送；"
                "调度器到时会自动发，不用再运行。")
    with sessions() as session:
        count = len(subscriber_openids(session))
    if not count:
        return "还没有人订阅岗位（居民在公众号里回复“订阅岗位”）。"
    return (f"{count} 位订阅者都没有要发的：自上次摘要以来没有符合他们条件的新岗位，"
            "或者今天已经发过（每人每天最多一条）。")


@click.group()
def token() -> None:
    """Bearer tokens for the staff API (/api/v1/)."""


@token.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. the job-centre sync.")
@click.option("--read-only", is_flag=True, help="May only GET.")
def token_create(name: str, read_only: bool) -> None:
    """Create a token; it is printed once, on the last line, and only its hash is stored."""
    _settings, sessions = _sessions()
    with sessions.begin() as session:
        row, secret = create_token(session, name, read_only=read_only, actor=cli_actor())
        click.echo(f"token {row.id} for {row.name!r}{' (read-only)' if read_only else ''}; store it now, "
                   "it cannot be shown again:")
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """Tokens (never the secrets): id, name, prefix, read-only, last used, revoked."""
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
    if not name and token_id is None:
        raise click.UsageError("give --name or --id")
    _settings, sessions = _sessions()
    with sessions.begin() as session:
        count = revoke_tokens(session, name=name, token_id=token_id, actor=cli_actor())
    click.echo(f"revoked: {count}")


__all__ = ["jobs", "token"]
