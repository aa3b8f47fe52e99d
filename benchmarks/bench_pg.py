"""bench_webhook's PostgreSQL side: a scratch database of its own, and round trips per message counted
in psycopg's protocol trace."""
from __future__ import annotations

import os
import tempfile

from bench_mix import POOL, _script, _signed

from bot.config import Settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_database() -> str | None:
    from sqlalchemy import create_engine, text
    name = f"bench_{os.getpid()}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL skipped: {exc.__class__.__name__}")
        return None
    return name


def drop_pg(name: str) -> None:
    from sqlalchemy import create_engine, text
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def round_trips(env: dict, residents: int = 12) -> dict[str, list[int]]:
    """PostgreSQL round trips per message, counted in the protocol itself: psycopg traces every
    connection (web pool and message pool) and each Sync or simple Query the client sends is one wait
    for the server. In this process, one message at a time, the mix's scripts (new residents)."""
    from collections import defaultdict

    import psycopg
    from sqlalchemy import event

    from bot.db_limits import message_sessions
    from webhook import create_app
    settings = Settings.from_env(env)
    app = create_app(settings)
    services = app.extensions["wxbot"]
    trace = tempfile.NamedTemporaryFile("w+", suffix=".pgtrace")

    def traced(dbapi_conn, _record):
        dbapi_conn.pgconn.trace(trace.fileno())
        dbapi_conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
    for factory in (services.sessions, message_sessions(services.sessions)):
        if factory is not None:
            factory.kw["bind"].dispose()
            event.listen(factory.kw["bind"], "connect", traced)

    def sent() -> int:  # F lines are written when sent, so a finished message's are all there
        with open(trace.name, encoding="utf-8", errors="replace") as f:
            return sum(1 for ln in f if ln.startswith("F\t") and ln.split("\t")[2].strip() in ("Sync", "Query"))
    client, counts = app.test_client(), defaultdict(list)
    for k in range(-1, residents):  # resident -1 warms the pools up and is not counted
        for fields in _script(max(k, 0)):
            query, body = _signed(settings, f"o_rt_{k}", fields)
            before = sent()
            resp = client.post(f"/wechat?{query}", data=body, content_type="text/xml")
            if k >= 0 and resp.status_code == 200:
                label = fields.get("EventKey") or fields["Content"]
                counts["question" if label in POOL else label].append(sent() - before)
    return counts
