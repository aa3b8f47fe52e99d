"""How long database work for a web request may wait, and the /wechat hot path's PostgreSQL pool.

WeChat waits 5 s for an answer. A request sets its deadline (request_deadline, webhook.py) and every
wait it starts is cut to fit (wait_ms): SQLite's busy timeout, PostgreSQL's statement and lock
timeouts (begin_bounded), a retry polling for the first reply (bot.engine.inbox). bot.db builds the
engines with the timeouts below; this module imports nothing from it.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker

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
# SQLite's busy handler (which sleeps up to 100 ms at a time, wakes late and starves). The workers of
# one server then take turns through a lock file beside the database (_process_turn), so they too
# never meet in the busy handler; other writers (the scheduler's long jobs) still meet its timeout.
_sqlite_writer = threading.RLock()
_turn = threading.local()  # how deep this thread is in begin_bounded (the lock file is taken once)
_lock_files: dict[tuple[int, str], int] = {}  # (pid, path) → fd: a forked worker opens its own


@contextmanager
def _process_turn(database: str | None, until: float):
    """This process's turn at writing `database` among the other processes that write through here."""
    depth = getattr(_turn, "depth", 0)
    if not database or database == ":memory:" or depth:
        _turn.depth = depth + 1
        try:
            yield
        finally:
            _turn.depth = depth
        return
    key = (os.getpid(), database)  # a lock held through a descriptor shared across fork excludes no one
    fd = _lock_files.get(key)
    if fd is None:
        fd = _lock_files[key] = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    pause = 0.0002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= until:
                raise WriterBusy("BEGIN IMMEDIATE", None, Exception("database is locked (other worker)"))
            time.sleep(pause)  # a turn lasts a few ms: short naps, not the busy handler's 100 ms
            pause = min(pause * 2, 0.002)
    _turn.depth = 1
    try:
        yield
    finally:
        _turn.depth = 0
        fcntl.flock(fd, fcntl.LOCK_UN)


class WriterBusy(OperationalError):
    """This process's SQLite writers did not get their turn in time (treated like a lock timeout)."""


@contextmanager
def sqlite_turn(engine: Engine):
    """This thread's turn at writing the SQLite database of engine: first among this process's
    threads, then among the processes (a lock file). Re-entrant within a thread."""
    until = time.monotonic() + wait_ms(int(BUSY_TIMEOUT_SECONDS * 1000)) / 1000
    if not _sqlite_writer.acquire(timeout=max(0.0, until - time.monotonic())):
        raise WriterBusy("BEGIN IMMEDIATE", None, Exception("database is locked (writer queue)"))
    try:
        with _process_turn(engine.url.database, until):
            yield
    finally:
        _sqlite_writer.release()


@contextmanager
def begin_bounded(sessions: sessionmaker):
    """sessions.begin(), bounded on PostgreSQL by statement and lock timeouts (web requests); on
    SQLite one write transaction of this process at a time."""
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name == "sqlite":
        with sqlite_turn(bind), sessions.begin() as session:
            yield session
        return
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("select set_config('statement_timeout', :s, true), "
                                 "set_config('lock_timeout', :l, true)"),
                            {"s": str(wait_ms(STATEMENT_TIMEOUT_MS)), "l": str(wait_ms(LOCK_TIMEOUT_MS))})
        yield session


def dispose_message_engines() -> None:
    for factory in _message_factories.values():
        if factory is not None:
            factory.kw["bind"].dispose()
    _message_factories.clear()


def is_outage(exc: BaseException) -> bool:
    """Connection lost, server restarting, lock or statement timeout, pool exhausted."""
    return isinstance(exc, (OperationalError, InterfaceError, PoolTimeout))
