"""Background console jobs (registry import): a thread does the work, a DB row carries the progress.

The upload request returns at once with a progress page (no proxy or worker timeout on a large file);
the row lets any worker answer the progress poll. A task whose worker died stays "running" and is
shown as probably interrupted after STALE_MINUTES.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable

from bot.admin.models import AdminTask
from bot.db import utcnow
from bot.privacy.pii import scrub, scrub_all

log = logging.getLogger(__name__)
STALE_MINUTES = 60
Progress = Callable[[str, int, int], None]


def start(sessions, kind: str, actor: str, filename: str, work: Callable[[Progress], dict]) -> int:
    """Record the task, run work(progress) in a thread; work returns the (masked) result dict."""
    with sessions.begin() as db:
        task = AdminTask(kind=kind, actor=actor, status="running", stage="排队", done=0, total=0,
                         filename=filename[:200])
        db.add(task)
        db.flush()
        task_id = task.id
    thread = threading.Thread(target=_run, args=(sessions, task_id, work), name=f"admin-task-{task_id}",
                              daemon=True)
    thread.start()
    return task_id


def _run(sessions, task_id: int, work) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        with sessions.begin() as db:
            task = db.get(AdminTask, task_id)
            task.stage, task.done, task.total = stage[:32], done, total

    try:
        result = work(progress)
    except Exception as exc:  # noqa: BLE001 - the page must say it failed rather than spin forever
        log.exception("console task %s failed", task_id)
        message = scrub(str(exc))[:500] or exc.__class__.__name__
        with sessions.begin() as db:
            task = db.get(AdminTask, task_id)
            task.status, task.error, task.finished_at = "failed", message, utcnow()
        return
    with sessions.begin() as db:
        task = db.get(AdminTask, task_id)
        task.status, task.result, task.finished_at, task.stage = "done", scrub_all(result), utcnow(), "完成"


def view(task: AdminTask) -> dict:
    """What the progress page and its poll show."""
    stale = task.status == "running" and task.created_at < utcnow() - dt.timedelta(minutes=STALE_MINUTES)
    percent = int(100 * task.done / task.total) if task.total else (100 if task.status == "done" else 0)
    return {"id": task.id, "status": "stale" if stale else task.status, "stage": task.stage or "",
            "done": task.done, "total": task.total, "percent": percent, "error": task.error,
            "finished": task.status in ("done", "failed")}
