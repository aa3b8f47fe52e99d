"""One scheduler at a time: a PostgreSQL advisory lock, or an flock'ed file next to a SQLite database."""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.config import ROOT

log = logging.getLogger(__name__)
# pg advisory lock keys are per database, so test databases on one server do not collide.
ADVISORY_KEY = 0x77786274  # "wxbt"


class SchedulerLock:
    def __init__(self, settings):
        self.url = settings.database_url
        self._conn = None
        self._engine = None
        self._fh = None

    @property
    def lock_path(self) -> Path:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return ROOT / "var" / "scheduler.lock"
        return Path(database + ".scheduler.lock")

    def describe(self) -> str:
        if self.url.startswith("postgresql"):
            return "PostgreSQL advisory lock"
        return f"lock file {self.lock_path}"

    def acquire(self) -> bool:
        if self.url.startswith("postgresql"):
            # A dedicated connection outside the pool: the lock lives exactly as long as it does.
            self._engine = create_engine(self.url, poolclass=NullPool)
            self._conn = self._engine.connect()
            got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                          {"k": ADVISORY_KEY}).scalar())
            self._conn.commit()  # session-level lock survives; do not sit idle in a transaction
            if not got:
                self._conn.close()
                self._engine.dispose()
                self._conn = self._engine = None
            return got
        path = self.lock_path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "a+")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.close()
            self._fh = None
            return False
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"{os.getpid()}\n")
        self._fh.flush()
        return True

    def still_held(self) -> bool:
        """False when the advisory lock's connection died (a PostgreSQL restart or a killed backend):
        the lock went with it, so another scheduler may have started and this one must stop."""
        if self._conn is None:
            return self._fh is not None
        try:
            held = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND objid = :k"), {"k": ADVISORY_KEY}).scalar()
            self._conn.commit()
            return bool(held)
        except Exception:  # noqa: BLE001 - any failure means we can no longer prove we hold it
            log.warning("scheduler lock connection lost", exc_info=True)
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._conn.commit()
            except Exception:  # the connection may be gone already; closing frees the lock anyway
                log.debug("advisory unlock failed", exc_info=True)
            self._conn.close()
            self._engine.dispose()
            self._conn = self._engine = None
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
