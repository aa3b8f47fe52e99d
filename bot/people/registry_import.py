"""Staff import of the certificate registry export: validate every row, upsert the good ones, notify.

Upsert key: (keyed hash of the ID number, business type). Re-importing a file changes nothing (a keyed
hash of each row's content is compared first). A row whose step date is older than the stored one is
skipped, so an old export opened by mistake never moves a resident backwards. When a linked resident's
record reaches a new step, the notification is queued in the same transaction as the change, keyed by
(record, step, step date, recipient): re-imports never repeat it, a second 退回 on a new date is sent.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.answers.local_facts import LocalFacts
from bot.answers.towns import match_town
from bot.calls.owed import open_direct
from bot.models import Follower
from bot.people import notify
from bot.people.models import CertRecord, Registration
from bot.people.registration import link_pending
from bot.people.rows import Parsed, parse_row
from bot.people.search import name_hash
from bot.people.sheet import read_table
from bot.people.status import newest_first, notice_text
from bot.privacy.audit import audit
from bot.privacy.pii import decrypt, encrypt, lookup_hash, mask_name, scrub

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage "检查"/"写入", done, total)
PG_LOCK_KEY = 7_000_303  # one registry import writes at a time on PostgreSQL


@dataclass
class Issue:
    row: int
    message: str


@dataclass
class ImportReport:
    filename: str = ""
    rows: int = 0  # non-blank rows under the header
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    linked: int = 0
    notified: int = 0
    calls: int = 0  # owed status messages that need a phone call (resident unfollowed)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> str:
        return (f"共 {self.rows} 行：新增 {self.inserted}，更新 {self.updated}，未变 {self.unchanged}，"
                f"比系统旧而跳过 {self.older}，有错未导入 {len(self.errors)}；"
                f"新绑定 {self.linked} 人，排队通知 {self.notified} 条，需电话通知 {self.calls} 人；用时 {self.seconds:.1f} 秒")

    def counts(self) -> dict:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "older": self.older, "errors": len(self.errors),
                "linked": self.linked, "notified": self.notified, "calls": self.calls}


def import_registry(db, settings, source, actor: str, *, filename: str | None = None,
                    progress: Progress | None = None, chunk_size: int = 1000) -> ImportReport:
    """Import a .xlsx/.csv (path, bytes or file object). db: a Session (caller commits) or a sessionmaker
    (one transaction per chunk, so the webhook is never blocked for long). Raises SheetError when the
    file as a whole is unusable; bad rows are reported, never raised."""
    started = time.perf_counter()
    raw = isinstance(source, (bytes, bytearray))
    shown = filename or ("upload" if raw else str(getattr(source, "name", source)))
    report = ImportReport(filename=Path(shown).name[-200:])
    local = LocalFacts.load(settings.knowledge_dir)
    table = read_table(source, filename)
    report.notes += table.notes
    rows = _validate(table, settings, report, progress or (lambda *_: None))
    chunks = [rows[i:i + chunk_size] for i in range(0, len(rows), chunk_size)]
    try:
        for done, chunk in enumerate(chunks, 1):
            if isinstance(db, Session):
                _write(db, settings.data_key, local, chunk, report)
            else:
                with db.begin() as session:
                    _write(session, settings.data_key, local, chunk, report)
            (progress or (lambda *_: None))("写入", min(done * chunk_size, len(rows)), len(rows))
    except Exception:
        report.seconds = time.perf_counter() - started
        if not isinstance(db, Session):  # committed chunks stay: say so; a caller's session rolls back whole
            _audit(db, actor, "certs.import.failed", report)
        raise
    report.seconds = time.perf_counter() - started
    _audit(db, actor, "certs.import", report)
    log.info("registry import by %s: %s", actor, report.summary())
    return report


def _audit(db, actor: str, action: str, report: ImportReport) -> None:
    if isinstance(db, Session):
        audit(db, actor, action, report.filename, **report.counts())
    else:
        with db.begin() as session:
            audit(session, actor, action, report.filename, **report.counts())


def _validate(table, settings, report: ImportReport, progress: Progress) -> list[Parsed]:
    towns: dict[str, str | None] = {}

    def town(said: str) -> str | None:
        if said not in towns:
            towns[said] = match_town(settings.knowledge_dir, said)
        return towns[said]

    report.rows = len(table.rows)
    by_key: dict[tuple, Parsed] = {}
    for done, (number, cells) in enumerate(table.rows, 1):
        parsed, errors, warnings = parse_row(number, cells, table.columns, town)
        report.warnings += [Issue(number, scrub(w)) for w in warnings]  # a number in the wrong column
        if parsed is None:
            report.errors.append(Issue(number, scrub("；".join(errors))))
        else:
            earlier = by_key.pop(parsed.key, None)  # the same resident and business twice: last row wins
            if earlier is not None:
                report.warnings.append(Issue(earlier.row, f"和第 {number} 行是同一人同一业务，以第 {number} 行为准"))
            by_key[parsed.key] = parsed
        if done % 1000 == 0 or done == len(table.rows):
            progress("检查", done, len(table.rows))
    return sorted(by_key.values(), key=lambda p: p.row)


def _write(session: Session, data_key: str, local, chunk: list[Parsed], report: ImportReport) -> None:
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
    hashes = [lookup_hash(data_key, p.id_number) for p in chunk]
    stored = session.scalars(select(CertRecord).where(CertRecord.id_hash.in_(set(hashes)))).all()
    by_key = {(r.id_hash, r.business_type): r for r in stored}
    moved: list[tuple[CertRecord, str]] = []  # records at a new step, with the plain name for the notice
    for parsed, id_hash in zip(chunk, hashes):
        row_hash = lookup_hash(data_key, parsed.canonical())
        record = by_key.get((id_hash, parsed.business_type))
        if record is not None and record.row_hash == row_hash:
            report.unchanged += 1
            continue
        if record is not None and record.step_date and (parsed.step_date or record.step_date) < record.step_date:
            report.older += 1
            report.warnings.append(Issue(parsed.row, "环节日期比系统里已有的更早，这一行没有覆盖"))
            continue
        if record is None:
            record = CertRecord(id_hash=id_hash, business_type=parsed.business_type)
            session.add(record)
            by_key[(id_hash, parsed.business_type)] = record
            report.inserted += 1
        else:
            report.updated += 1
        if record.step != parsed.step:
            moved.append((record, parsed.name))
        _assign(record, parsed, data_key, row_hash)
    session.flush()
    grouped: dict[str, list[CertRecord]] = {}
    for record in by_key.values():
        grouped.setdefault(record.id_hash, []).append(record)
    newly = link_pending(session, data_key, grouped)
    report.linked += len(newly)
    _notify(session, data_key, local, moved, newly, grouped, report)


def _assign(record: CertRecord, p: Parsed, data_key: str, row_hash: str) -> None:
    record.id_enc = encrypt(data_key, p.id_number)
    record.cert_enc = encrypt(data_key, p.cert_number)
    record.name_enc = encrypt(data_key, p.name)
    record.name_hash = name_hash(data_key, p.name)
    record.id_tail, record.cert_tail = p.id_number[-4:], p.cert_number[-4:] if p.cert_number else None
    record.phone_enc = encrypt(data_key, p.phone)
    record.category, record.grade = p.category, p.grade
    record.step, record.step_date, record.return_reason = p.step, p.step_date, p.return_reason
    record.issued_on, record.valid_until, record.town = p.issued_on, p.valid_until, p.town
    record.row_hash = row_hash


def _notify(session, data_key, local, moved, newly, grouped, report: ImportReport) -> None:
    """One message per (record, step, date, recipient); newly linked users hear their current step."""
    wanted: dict[tuple[int, str], tuple[CertRecord, str]] = {}
    hashes = {r.id_hash for r, _n in moved}
    if hashes:
        regs = session.scalars(select(Registration).where(
            Registration.id_hash.in_(hashes), Registration.linked_at.is_not(None))).all()
        names = {r.id_hash: n for r, n in moved}
        for record, _name in moved:
            for reg in regs:
                if reg.id_hash == record.id_hash:
                    wanted[(record.id, reg.openid)] = (record, names[record.id_hash])
    for reg in newly:
        record = newest_first(grouped[reg.id_hash])[0]
        wanted.setdefault((record.id, reg.openid), (record, decrypt(data_key, reg.name_enc) or ""))
    if not wanted:
        return
    gone = set(session.scalars(select(Follower.openid).where(
        Follower.openid.in_({o for _r, o in wanted}), Follower.subscribed.is_(False))))
    for (record_id, openid), (record, name) in wanted.items():
        body, fields = notice_text(record, mask_name(name), local)
        if openid in gone:  # WeChat cannot reach them any more: staff phone instead
            open_direct(session, openid, notify.OWED, body, "居民已取消关注公众号，微信消息发不到")
            report.calls += 1
            continue
        key = f"cert:{record_id}:{record.step}:{record.step_date or '-'}:{openid}"
        notify.send(session, openid, fields, key, body)
        report.notified += 1

