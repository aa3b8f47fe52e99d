"""The resident's follower and conversation rows on the /wechat hot path, without the ORM's cost.

load() reads both rows in one statement straight on the driver (bot.engine.raw_sql) and attaches them
to the session as if the ORM had loaded them, so handlers see ordinary mapped objects and session.get
finds them. take_updates() takes them back out when new or changed, and write() (SQLite) or the
finish statement (PostgreSQL, bot.engine.pg_message) writes only what changed. The ORM's query and
flush of these two rows were a quarter of a message's CPU (py-spy, issue 16).
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, inspect, insert, select, update
from sqlalchemy.orm import class_mapper, make_transient_to_detached

from bot.engine import raw_sql
from bot.models import ConversationState, Follower

_F, _S = Follower.__table__, ConversationState.__table__
# The follower row is locked (FOR UPDATE on PostgreSQL; SQLite's write lock does it anyway): one
# resident's messages are handled one at a time (two taps on "确认" must not both see a flow's last step).
_LOAD = select(*_F.c, *_S.c).select_from(_F.outerjoin(_S, _S.c.openid == _F.c.openid)).where(
    _F.c.openid == bindparam("p_openid")).with_for_update(of=_F)
_STATE = select(*_S.c).where(_S.c.openid == bindparam("p_openid"))
_writes: dict[tuple, object] = {}


def load(session, openid: str):
    """(follower, state), each None when the resident has no such row yet."""
    conn = session.connection()
    row = raw_sql.fetch_one(conn, _LOAD, {"p_openid": openid})
    if row is None:
        state = raw_sql.fetch_one(conn, _STATE, {"p_openid": openid})
        return None, _attach(session, ConversationState, state) if state else None
    n = len(_F.c)
    follower = _attach(session, Follower, row[:n])
    return follower, _attach(session, ConversationState, row[n:]) if row[n] is not None else None


def _attach(session, cls, values):
    """A persistent object for a row read here, as a query would have put it in the session."""
    found = session.identity_map.get(session.identity_key(cls, values[0]))
    if found is not None:  # already loaded in this session (never on the hot path): keep that one
        return found
    # Built as a query builds it: no constructor, no attribute events (a third of this function's time).
    mapper = class_mapper(cls)
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(zip(_attribute_keys(mapper), values))
    make_transient_to_detached(obj)  # given its identity key: "as loaded", nothing changed
    session.add(obj)
    return obj


@lru_cache(maxsize=None)
def _attribute_keys(mapper) -> tuple[str, ...]:
    """The mapped attribute of each column of the mapper's table, in the table's column order."""
    return tuple(mapper.get_property_by_column(c).key for c in mapper.local_table.c)


def take_updates(session, rows) -> list[tuple]:
    """(table, primary key or None for a new row, column values) of the resident's follower and
    conversation rows when new or changed, taken out of the session so that its flush leaves them to
    the finish: no round trip of their own. Defaults and onupdate values are applied as a flush would."""
    updates = []
    for obj in rows:
        state = inspect(obj) if obj is not None else None
        if state is None or not (state.pending or (state.persistent and state.modified)) or obj in session.deleted:
            continue  # unchanged, or deleted by the handler (a resident asking to be forgotten): the flush's
        table = state.mapper.local_table
        if not _plain(state.mapper):
            continue
        if state.pending:
            changed = {c.name: _default(c, state.dict) for c in table.c}
            if any(changed[c.name] is None for c in table.primary_key.columns):
                continue  # a key the database assigns: the flush does it
            key = None
        else:
            changed = {a.key: a.value for a in state.attrs if a.history.has_changes()}
            if not changed:
                continue
            for column in table.c:
                if column.onupdate is not None and column.name not in changed and column.onupdate.is_callable:
                    changed[column.name] = column.onupdate.arg(None)
            key = {c.name: getattr(obj, c.name) for c in table.primary_key.columns}
        if not all(k in table.c for k in changed):
            continue  # an attribute that is no column of its own: the flush does it
        session.expunge(obj)
        updates.append((table, key, changed))
    return updates


def _plain(mapper) -> bool:
    """Every column mapped under its own name on one table (what take_updates can write itself)."""
    return _attribute_keys(mapper) == tuple(c.name for c in mapper.local_table.c)


def _default(column, given: dict):
    """A new row's column value: as set on the object (None included), else its default."""
    if column.name in given:
        return given[column.name]
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def write(session, updates) -> None:
    """SQLite: take_updates()'s rows, each one INSERT or UPDATE of the changed columns, on the driver."""
    conn = session.connection()
    for table, key, changed in updates:
        shape = (table.name, key is None, tuple(changed))
        stmt = _writes.get(shape)
        if stmt is None:
            if key is None:
                stmt = insert(table).values({c: bindparam(f"v_{c}") for c in changed})
            else:
                stmt = update(table).where(*(table.c[c] == bindparam(f"k_{c}") for c in key)).values(
                    {c: bindparam(f"v_{c}") for c in changed})
            _writes[shape] = stmt
        raw_sql.run(conn, stmt, {**{f"v_{c}": v for c, v in changed.items()},
                                 **{f"k_{c}": v for c, v in (key or {}).items()}})
