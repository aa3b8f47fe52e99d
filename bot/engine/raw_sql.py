"""Prebuilt statements run on the DBAPI connection itself, for the /wechat hot path only.

SQLAlchemy's execution path costs 50–80 µs of CPU a statement (cache key, execution context, result
wrapping); with nine statements a message that was a third of a message's CPU (py-spy, issue 16).
A statement here is compiled once per dialect; parameters and results still go through the columns'
SQLAlchemy types (UTC datetimes, JSON), exactly as session.execute would convert them, and driver
errors come out as SQLAlchemy's (bot.db_limits.is_outage knows them).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

from sqlalchemy.exc import DBAPIError


@dataclass
class Prepared:
    sql: str
    binds: tuple  # (name, type processor or None, default value) in the driver's order
    positional: bool  # qmark (SQLite): a tuple of values; pyformat (psycopg): a dict
    statement: object
    dialect: object
    # One type processor (or None) per result column, set by the first row (PostgreSQL's numeric
    # processors need the driver's type code). Textual statements declare none: values stay as sent.
    results: tuple | None = None

    def params(self, values: dict):
        out = []
        for name, process, default in self.binds:  # a plain loop: this runs for every statement
            value = values[name] if name in values else default
            out.append(process(value) if process is not None else value)
        return tuple(out) if self.positional else dict(zip((b[0] for b in self.binds), out))

    def row(self, raw: tuple | None, cursor) -> tuple | None:
        if raw is None:
            return None
        if self.results is None:  # the driver's column types are known once a statement has run
            types = getattr(self.statement, "selected_columns", ())
            self.results = tuple(
                c.type.dialect_impl(self.dialect).result_processor(self.dialect, d[1])
                for c, d in zip(types, cursor.description))
        return tuple(p(v) if p is not None else v for p, v in zip_longest(self.results, raw))


_prepared: dict[tuple, Prepared] = {}


def prepare(stmt, dialect) -> Prepared:
    key = (stmt, dialect.name)
    found = _prepared.get(key)
    if found is None:
        compiled = stmt.compile(dialect=dialect)
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        # dialect_impl: the type as this driver sees it (SQLite's DATETIME parses its text form).
        binds = tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                       compiled.binds[name].effective_value) for name in names)
        found = _prepared[key] = Prepared(compiled.string, binds, compiled.positional, stmt, dialect)
    return found


def execute(raw, dialect, stmt, values: dict):
    """Execute stmt on a driver connection (inside the caller's transaction); the driver's cursor.
    Driver errors are the caller's to translate."""
    prepared = prepare(stmt, dialect)
    return raw.execute(prepared.sql, prepared.params(values))


def run(conn, stmt, values: dict):
    """Execute stmt on a SQLAlchemy Connection's driver connection, inside its transaction; returns
    the driver's cursor (use prepare(...).row to convert a result row)."""
    try:
        return execute(conn.connection.driver_connection, conn.dialect, stmt, values)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise translate(conn, exc, prepare(stmt, conn.dialect).sql) from exc


def fetch_one(conn, stmt, values: dict) -> tuple | None:
    cursor = run(conn, stmt, values)
    return prepare(stmt, conn.dialect).row(cursor.fetchone(), cursor)


def translate(conn, exc, sql: str) -> DBAPIError:
    """The SQLAlchemy error for a driver's; a lost connection is invalidated (not reused)."""
    dialect, raw = conn.dialect, conn.connection.driver_connection
    lost = dialect.is_disconnect(exc, raw, None) or getattr(raw, "broken", False) or getattr(raw, "closed", False)
    if lost:
        conn.invalidate(exc)
    return DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                               dialect=dialect)
