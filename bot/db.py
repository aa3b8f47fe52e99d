"""Database plumbing: engine per URL, session factory, UTC datetime type, JSON type."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime, bindparam, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

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
# WeChat waits 5 s for an answer: a request waits at most this long for a lock or a connection, so
# claim + handling stay under ~4.5 s.
BUSY_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 2
POOL_RECYCLE_SECONDS = 300
_request = threading.local()  # the deadline of the web request this thread is answering, if any


@contextmanager
def request_deadline(seconds: float):
    """Every database wait started in this thread ends by then, however many transactions it takes."""
    _request.until = time.monotonic() + seconds
    try:
        yield
    finally:
        _request.until = None


def wait_ms(cap_ms: int) -> int:
    """cap_ms, or less when the current request's deadline is nearer (at least 50 ms)."""
    until = getattr(_request, "until", None)
    return cap_ms if until is None else max(50, min(cap_ms, int((until - time.monotonic()) * 1000)))


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
            busy, info = wait_ms(int(BUSY_TIMEOUT_SECONDS * 1000)), conn.connection.info
            if info.get("busy_timeout") != busy:  # a statement less per transaction when unchanged
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
                info["busy_timeout"] = busy
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping (a round trip per checkout): connections are recycled, and a message whose
    # connection turns out dead is retried once (bot.engine.inbox.process).
    return create_engine(url, pool_size=5, max_overflow=5, pool_timeout=BUSY_TIMEOUT_SECONDS,
                         pool_recycle=POOL_RECYCLE_SECONDS, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


# PostgreSQL limits for one web transaction (set per transaction: the scheduler's long statements
# and migrations are not cut); with the busy timeout above a request answers well inside 5 s.
STATEMENT_TIMEOUT_MS, LOCK_TIMEOUT_MS = 3000, 2000
# A message's transaction left idle this long is ended by PostgreSQL (a hung worker): its claim goes
# with it, and WeChat's next retry takes the message over, as after a lease (bot.engine.inbox.LEASE_SECONDS).
IDLE_IN_MESSAGE_MS = 4000


def message_sessions(sessions: sessionmaker) -> sessionmaker | None:
    """PostgreSQL: sessions for the /wechat hot path, from a pool of its own whose connections carry
    the web limits from the start (no set_config per transaction) and do not BEGIN by themselves, so
    bot.engine.pg_message sends BEGIN with the message's first statement. None on SQLite."""
    bind = sessions.kw.get("bind")
    try:
        return _message_factories[bind]
    except KeyError:
        pass
    factory = None
    if bind is not None and bind.dialect.name == "postgresql":
        options = (f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} "
                   f"-c idle_in_transaction_session_timeout={IDLE_IN_MESSAGE_MS}")
        engine = create_engine(bind.url, isolation_level="AUTOCOMMIT", pool_size=5, max_overflow=5,
                               pool_timeout=BUSY_TIMEOUT_SECONDS, pool_recycle=POOL_RECYCLE_SECONDS,
                               connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": options})
        factory = sessionmaker(bind=engine, expire_on_commit=False)
    _message_factories[bind] = factory
    return factory


_message_factories: dict[Engine | None, sessionmaker | None] = {}


# SQLite has one writer: threads of a process queue here, in order, instead of sleeping and polling in
# SQLite's busy handler (which wakes late and starves). Other processes still meet the busy timeout.
_sqlite_writer = threading.RLock()


class WriterBusy(OperationalError):
    """This process's SQLite writers did not get their turn in time (treated like a lock timeout)."""


@contextmanager
def begin_bounded(sessions: sessionmaker):
    """sessions.begin(), bounded on PostgreSQL by statement and lock timeouts (web requests); on
    SQLite one write transaction of this process at a time."""
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name == "sqlite":
        if not _sqlite_writer.acquire(timeout=wait_ms(int(BUSY_TIMEOUT_SECONDS * 1000)) / 1000):
            raise WriterBusy("BEGIN IMMEDIATE", None, Exception("database is locked (writer queue)"))
        try:
            with sessions.begin() as session:
                yield session
        finally:
            _sqlite_writer.release()
        return
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("select set_config('statement_timeout', :s, true), "
                                 "set_config('lock_timeout', :l, true)"),
                            {"s": str(wait_ms(STATEMENT_TIMEOUT_MS)), "l": str(wait_ms(LOCK_TIMEOUT_MS))})
        yield session


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
    for factory in _message_factories.values():
        if factory is not None:
            factory.kw["bind"].dispose()
    _engines.clear()
    _message_factories.clear()


def parse_local_datetime(value: str) -> dt.datetime:
    """'2026-12-01', '2026-12-01 17:00' or ISO with a zone; without a zone it is Beijing time,
    which is what staff mean. Raises ValueError for anything else."""
    parsed = dt.datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed
