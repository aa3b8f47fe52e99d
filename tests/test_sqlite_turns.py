"""SQLite writers of several worker processes take turns (bot.db_limits.begin_bounded): nothing written
by two workers at once is lost or refused, and a worker whose request runs out of time while another
holds the turn gets the outage answer (WeChat retries), never a hang."""
from __future__ import annotations

import multiprocessing
import time

import pytest
from sqlalchemy import text

from bot import db
from bot.db_limits import begin_bounded, is_outage, request_deadline


def _count(url: str, times: int, nested: bool, errors) -> None:
    """A forked worker: `times` read-then-write increments, each in its own bounded transaction."""
    db.dispose_all()  # as a forked gunicorn worker: its own connections
    sessions = db.session_factory(url)
    for _ in range(times):
        try:
            with request_deadline(4.0), begin_bounded(sessions) as s:
                value = s.execute(text("select n from counter")).scalar_one()
                if nested:  # a helper opening its own bounded transaction inside ours keeps the turn
                    with begin_bounded(sessions):
                        pass
                s.execute(text("update counter set n = :n"), {"n": value + 1})
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            errors.put(repr(exc))


def _hold(url: str, seconds: float, holding) -> None:
    db.dispose_all()
    with begin_bounded(db.session_factory(url)) as s:
        s.execute(text("update counter set n = n + 1"))
        holding.set()
        time.sleep(seconds)


@pytest.fixture
def counter_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.sqlite3'}"
    with begin_bounded(db.session_factory(url)) as s:  # the parent opens its lock file before forking
        s.execute(text("create table counter (n integer not null)"))
        s.execute(text("insert into counter values (0)"))
    yield url
    db.dispose_all()


def test_two_workers_writing_at_once_lose_nothing(counter_url):
    fork = multiprocessing.get_context("fork")
    errors = fork.Queue()
    workers = [fork.Process(target=_count, args=(counter_url, 150, nested, errors)) for nested in (False, True)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert errors.empty(), errors.get()
    with db.session_factory(counter_url)() as s:
        assert s.execute(text("select n from counter")).scalar_one() == 300


def test_a_request_out_of_time_behind_another_worker_gets_the_outage_answer(counter_url):
    fork = multiprocessing.get_context("fork")
    holding = fork.Event()
    holder = fork.Process(target=_hold, args=(counter_url, 1.5, holding))
    holder.start()
    assert holding.wait(10)
    try:
        with pytest.raises(Exception) as raised:
            with request_deadline(0.3), begin_bounded(db.session_factory(counter_url)) as s:
                s.execute(text("update counter set n = n + 100"))
        assert is_outage(raised.value)  # webhook answers 503: WeChat retries, the message is not lost
    finally:
        holder.join(10)
    with db.session_factory(counter_url)() as s:
        assert s.execute(text("select n from counter")).scalar_one() == 1  # the holder's write only
    with request_deadline(2.0), begin_bounded(db.session_factory(counter_url)) as s:  # its turn came back
        s.execute(text("update counter set n = n + 100"))
