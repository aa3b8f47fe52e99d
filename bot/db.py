"""Database plumbing: engine per URL, session factory, UTC datetime type, JSON type."""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime, bindparam, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

from bot.db_limits import (BUSY_TIMEOUT_SECONDS, CONNECT_TIMEOUT_SECONDS, POOL_RECYCLE_SECONDS,
                           dispose_message_engines, wait_ms)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def local_now() -> dt.datetime:
    return dt.datetime.now(LOCAL_TZ)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC out; SQLite stores naive UTC, PostgreSQL timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use bot.db.utcnow()")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict: JSON, list: JSON}


_engines: dict[str, Engine] = {}


_engines: dict[str, Engine] = {}
def get_engine(url: str) -> Engine:
    """One engine per URL per process (workers fork before first use)."""
    if url not in _engines:
        _engines[url] = _make_engine(url)
    return _engines[url]


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS,
                                                   "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL + busy timeout let the web process and the scheduler share one file.
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, no fsync per commit
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")  # deleted personal data is zeroed, not left in free pages
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):
            # Take the write lock at BEGIN so read-then-write transactions never deadlock
            # or lose updates (with_for_update compiles to nothing on SQLite).
            if (pragma := busy_pragma(conn.connection.info)) is not None:
                conn.exec_driver_sql(pragma)
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping (a round trip per checkout): connections are recycled, and a message whose
    # connection turns out dead is retried once (bot.engine.inbox.process).
    return create_engine(url, pool_size=5, max_overflow=5, pool_timeout=BUSY_TIMEOUT_SECONDS,
                         pool_recycle=POOL_RECYCLE_SECONDS, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


def busy_pragma(info: dict) -> str | None:
    """The PRAGMA that cuts a pooled SQLite connection's busy timeout to the request's deadline,
    or None when it is set so already (a statement less per transaction)."""
    busy = wait_ms(int(BUSY_TIMEOUT_SECONDS * 1000))
    if info.get("busy_timeout") == busy:
        return None
    info["busy_timeout"] = busy
    return f"PRAGMA busy_timeout={busy}"


_insert_ignore: dict[tuple, object] = {}


def insert_ignore(model, keys: tuple[str, ...], columns: tuple[str, ...]):
    """INSERT … ON CONFLICT (keys) DO NOTHING RETURNING keys[0], built once; execute it with a dict
    of the columns' values. No row back means it existed (an INSERT's rowcount is not reliable across
    drivers). Textual: the same SQL on SQLite (≥ 3.35) and PostgreSQL, and unlike the dialects'
    insert().on_conflict_do_nothing() SQLAlchemy caches its compiled form."""
    stmt = _insert_ignore.get((model, keys, columns))
    if stmt is None:
        table = model.__table__
        stmt = text(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
                    f"ON CONFLICT ({', '.join(keys)}) DO NOTHING RETURNING {keys[0]}").bindparams(
            *(bindparam(c, type_=table.c[c].type) for c in columns))
        _insert_ignore[(model, keys, columns)] = stmt
    return stmt


def session_factory(url: str) -> sessionmaker:
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    event.listen(factory, "after_commit", _checkpoint_if_requested)
    event.listen(factory, "after_rollback", lambda session: session.info.pop(_CHECKPOINT, None))
    return factory


_CHECKPOINT = "wal_checkpoint"


def request_checkpoint(session) -> None:
    """After this transaction commits, fold SQLite's WAL into the file and truncate it: the WAL still
    holds the old pages of what was just deleted (no-op on PostgreSQL)."""
    session.info[_CHECKPOINT] = True


def _checkpoint_if_requested(session) -> None:
    if not session.info.pop(_CHECKPOINT, None):
        return
    try:  # the deletion is committed: a checkpoint that cannot run now must not turn it into an error
        if not wal_checkpoint(session.get_bind()):
            log.warning("WAL checkpoint after a deletion was kept from finishing by a reader")
    except Exception:  # noqa: BLE001
        log.exception("WAL checkpoint after a deletion failed")


def wal_checkpoint(engine: Engine) -> bool:
    """PRAGMA wal_checkpoint(TRUNCATE) outside any transaction; False when a reader kept it from finishing."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        usual = cur.execute("PRAGMA busy_timeout").fetchone()[0]
        cur.execute("PRAGMA busy_timeout=2000")  # waits for readers, but never past WeChat's 5 s
        busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        cur.execute(f"PRAGMA busy_timeout={int(usual)}")
        cur.close()
    finally:
        raw.close()
    return not busy


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    dispose_message_engines()


def parse_local_datetime(value: str) -> dt.datetime:
    """'2026-12-01', '2026-12-01 17:00' or ISO with a zone; without a zone it is Beijing time,
    which is what staff mean. Raises ValueError for anything else."""
    parsed = dt.datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed
