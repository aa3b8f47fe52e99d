"""Certificate registry: import with progress and a row report; search and view records (audited)."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from bot.admin import tasks
from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, services, settings, tx
from bot.admin.models import AdminTask
from bot.devtools.demo_samples import is_sample
from bot.people import api, registry_import
from bot.people.sheet import SheetError
from bot.privacy.pii import mask_id, scrub
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register
MAX_UPLOAD = 20 * 1024 * 1024
SHOWN_ISSUES = 500  # rows listed on the page; the summary counts them all


@ROUTES.route("/people", methods=["GET", "POST"])
@login_required
def people():
    # POST, not GET: a searched ID number must not end up in URLs, access logs or browser history.
    q = (request.form.get("q") or "").strip()[:60] if request.method == "POST" else ""
    results = None
    if q:
        with tx() as db:  # search_records writes the record.search audit row in this transaction
            results = api.search_records(db, actor(), q, data_key=settings().data_key)
    with reader() as db:
        recent = db.query(AdminTask).filter(AdminTask.kind == "certs.import").order_by(AdminTask.id.desc()).limit(5).all()
    return render_template("admin/people.html", title="持证人员", q=q, results=results, recent=recent,
                           demo=settings().demo)


@ROUTES.get("/people/record/<int:record_id>")
@login_required
def people_record(record_id: int):
    with tx() as db:  # view_record writes the record.view audit row in this transaction
        record = api.view_record(db, actor(), record_id, data_key=settings().data_key)
    if record is None:
        abort(404)
    # Whole ID and certificate numbers never reach the page (nor the browser's cache or screenshots).
    record["sample"] = is_sample(record.get("id_number"))  # the demo's fictional people (area 330399)
    record["id_number"] = mask_id(record.get("id_number"))
    record["cert_number"] = mask_id(record.get("cert_number"))
    return render_template("admin/people_record.html", title="办证记录", record=record)


@ROUTES.route("/people/import", methods=["GET", "POST"])
@require("editor")
def people_import():
    if request.method == "POST":
        upload = request.files.get("file")
        name = Path(upload.filename or "").name if upload else ""
        if not name or Path(name).suffix.lower() not in (".xlsx", ".csv"):
            flash("请选择 .xlsx 或 .csv 文件。", "error")
            return redirect(url_for("admin.people_import"))
        data = upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            flash("文件太大（最多 20 MB）。", "error")
            return redirect(url_for("admin.people_import"))
        task_id = tasks.start(services().sessions, "certs.import", actor(), name,
                              _import_work(data, name, actor()))
        return redirect(url_for("admin.people_task", task_id=task_id))
    return render_template("admin/people_import.html", title="导入办证台账")


def _import_work(data: bytes, name: str, who: str):
    sessions, current = services().sessions, settings()

    def work(progress) -> dict:
        try:
            report = registry_import.import_registry(sessions, current, data, who, filename=name, progress=progress)
        except SheetError as exc:
            return {"unusable": scrub(str(exc))}
        issues = lambda items: [{"row": i.row, "message": scrub(i.message)} for i in items[:SHOWN_ISSUES]]  # noqa: E731
        return {"summary": report.summary(), "counts": report.counts(), "errors": issues(report.errors),
                "warnings": issues(report.warnings), "notes": [scrub(n) for n in report.notes],
                "more_errors": max(0, len(report.errors) - SHOWN_ISSUES)}
    return work


def _task(task_id: int) -> AdminTask:
    with reader() as db:
        task = db.get(AdminTask, task_id)
    if task is None or task.kind != "certs.import":
        abort(404)
    return task


@ROUTES.get("/people/import/<int:task_id>")
@login_required
def people_task(task_id: int):
    task = _task(task_id)
    return render_template("admin/people_task.html", title="导入进度", task=task, info=tasks.view(task))


@ROUTES.get("/people/import/<int:task_id>.json")
@login_required
def people_task_json(task_id: int):
    return jsonify(tasks.view(_task(task_id)))
