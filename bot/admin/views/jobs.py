"""Job postings: list with views, the posting form, spreadsheet import with its row report, withdraw."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import case, func, select

from bot import jobs
from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, settings, tx
from bot.jobs import postings
from bot.jobs.models import CATEGORIES, KINDS, STATUSES, JobPosting
from bot.jobs.validation import LABELS
from bot.answers.towns import towns
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register
STATUS_LABELS = {"open": "发布中", "withdrawn": "已撤下", "expired": "已过期"}
# Form layout: (field, input type); labels come from the jobs package so they match its messages.
FORM_FIELDS = [("title", "text"), ("employer", "text"), ("town", "town"), ("address", "text"),
               ("positions", "number"), ("salary", "text"), ("working_hours", "text"), ("kind", "kind"),
               ("categories", "categories"), ("description", "textarea"), ("requirements", "textarea"),
               ("accessibility", "textarea"), ("contact_phone", "tel"), ("valid_from", "date"),
               ("valid_until", "date"), ("source", "text")]
REQUIRED = {"title", "employer", "contact_phone"}
MAX_UPLOAD = 10 * 1024 * 1024
PAGE_SIZE = 50


def zh(message: str) -> str:
    """The jobs package writes "中文 / English"; the console shows the Chinese half."""
    return message.split(" / ", 1)[0]


@ROUTES.get("/jobs")
@login_required
def jobs_list():
    status = request.args.get("status", "")
    page = max(1, request.args.get("page", 1, type=int))
    query = select(JobPosting.id)
    if status in STATUSES:
        query = query.where(JobPosting.status == status)
    with reader() as db:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        open_first = case((JobPosting.status == "open", 0), else_=1)
        ids = list(db.scalars(query.order_by(open_first, JobPosting.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        rows = postings.view_stats(db, ids=ids)  # view counts for this page only
    rows.sort(key=lambda r: ids.index(r["id"]))
    return render_template("admin/jobs_list.html", title="岗位", rows=rows, status=status,
                           statuses=STATUS_LABELS,
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total)


@ROUTES.route("/jobs/new", methods=["GET", "POST"], defaults={"external_id": None})
@ROUTES.route("/jobs/<external_id>/edit", methods=["GET", "POST"])
@require("editor")
def jobs_form(external_id: str | None):
    values, errors, warnings = {}, {}, {}
    if external_id:
        with reader() as db:
            posting = postings.find(db, external_id) or abort(404)
            values = postings.to_dict(posting)
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name, kind in FORM_FIELDS if kind != "categories"}
        values["categories"] = request.form.getlist("categories")
        data = {k: v for k, v in values.items() if v not in ("", [])}
        try:
            with tx() as db:
                saved = jobs.save_posting(db, data, actor=actor(), knowledge_dir=settings().knowledge_dir,
                                          external_id=external_id)
                title, outcome, warnings = saved.posting.title, saved.outcome, saved.warnings
        except jobs.InvalidPosting as exc:
            errors, warnings = exc.errors, exc.warnings
            flash("没有保存，请按红字修改。", "error")
        else:
            done = {"created": "已发布", "updated": "已保存修改", "unchanged": "没有改动"}[outcome]
            flash(f"{done}：{title}。" + "".join(f" 注意：{LABELS.get(k, k)}{zh(v)}。" for k, v in warnings.items()),
                  "success")
            return redirect(url_for("admin.jobs_list"))
    return render_template("admin/jobs_form.html", title="修改岗位" if external_id else "发布岗位",
                           external_id=external_id, values=values, errors={k: zh(v) for k, v in errors.items()},
                           warnings={k: zh(v) for k, v in warnings.items()}, fields=FORM_FIELDS, labels=LABELS,
                           required=REQUIRED, towns=towns(settings().knowledge_dir), kinds=KINDS,
                           categories=CATEGORIES)


@ROUTES.post("/jobs/<external_id>/withdraw")
@require("editor")
def jobs_withdraw(external_id: str):
    try:
        with tx() as db:
            posting = jobs.withdraw_posting(db, external_id, actor=actor())
            title = posting.title
    except jobs.PostingNotFound:
        abort(404)
    flash(f"已撤下：{title}。居民从现在起看不到它。", "success")
    return redirect(url_for("admin.jobs_list"))


@ROUTES.route("/jobs/import", methods=["GET", "POST"])
@require("editor")
def jobs_import():
    report, problem, name = None, None, ""
    if request.method == "POST":
        upload = request.files.get("file")
        name = Path(upload.filename or "").name if upload else ""
        if not upload or not name:
            problem = "请选择要导入的文件。"
        elif Path(name).suffix.lower() not in (".xlsx", ".csv"):
            problem = "只能导入 .xlsx 或 .csv 文件。"
        else:
            report, problem = _import(upload, name, dry_run=request.form.get("dry_run") == "1")
        if problem:
            flash(problem, "error")
    return render_template("admin/jobs_import.html", title="导入岗位", report=report, filename=name,
                           labels=LABELS, zh=zh, dry_run=request.form.get("dry_run") == "1")


def _import(upload, name: str, dry_run: bool):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("upload" + Path(name).suffix.lower())
        upload.save(path)
        if path.stat().st_size > MAX_UPLOAD:
            return None, "文件太大（最多 10 MB）。"
        try:
            with tx() as db:
                report = jobs.import_file(db, path, actor=actor(), knowledge_dir=settings().knowledge_dir,
                                          dry_run=dry_run)
        except jobs.ImportFileError as exc:
            return None, f"文件读不了：{zh(str(exc))}"
    return report, None
