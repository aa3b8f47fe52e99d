"""Job endpoints: POST /jobs (upsert by external_id), GET /jobs (open, paginated), GET/PATCH/DELETE
/jobs/<external_id>, GET /job-views (views per posting).

The decorators only record the routes (ROUTES); bot.api.register adds them to each app's blueprint."""
from __future__ import annotations

import logging

from flask import jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.api import BodyError, error, json_body, services, with_token
from bot.jobs.models import JobView
from bot.jobs.postings import (InvalidPosting, PostingNotFound, find, local_today, open_postings,
                               save_posting, to_dict, view_stats, withdraw_posting)
from bot.jobs.validation import msg
from bot.web_routes import Routes

log = logging.getLogger(__name__)
MAX_PER_PAGE = 100
ROUTES = Routes()


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BodyError(400, "invalid_query", f"参数 {name} 应为 {low} 到 {high} 的整数",
                        f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _invalid(exc: InvalidPosting):
    return error(422, "validation_failed", fields=exc.errors)


def _not_found(external_id: str):
    return error(404, "not_found", f"没有编号为 {external_id} 的岗位", f"no job with external_id {external_id!r}")


@ROUTES.get("/jobs")
@with_token(write=False)
def list_jobs(session, _token):
    page = _int_arg("page", 1, 1, 100000)
    per_page = _int_arg("per_page", 20, 1, MAX_PER_PAGE)
    query = open_postings(local_today())
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    more = page * per_page < total
    return jsonify(items=[to_dict(p) for p in items], page=page, per_page=per_page, total=total,
                   next=url_for("api.list_jobs", page=page + 1, per_page=per_page) if more else None)


@ROUTES.post("/jobs")
@with_token(write=True)
def post_job(session, token):
    body = json_body()
    if not str(body.get("external_id") or "").strip():  # required here: a retried POST must not duplicate
        return error(422, "validation_failed", fields={"external_id": msg("编号必须填写", "required")})
    for attempt in (1, 2):
        savepoint = session.begin_nested()
        try:
            saved = save_posting(session, body, actor=f"api:{token.name}",
                                 knowledge_dir=services().settings.knowledge_dir)
            savepoint.commit()
            break
        except InvalidPosting as exc:
            savepoint.rollback()
            return _invalid(exc)
        except IntegrityError:  # the same external_id posted twice at once: the loser updates
            savepoint.rollback()
            if attempt == 2:
                raise
            log.info("concurrent POST of %s; retrying as an update", body.get("external_id"))
    response = jsonify(job=to_dict(saved.posting), outcome=saved.outcome, warnings=saved.warnings)
    response.status_code = 201 if saved.outcome == "created" else 200
    response.headers["Location"] = url_for("api.get_job", external_id=saved.posting.external_id)
    return response


@ROUTES.get("/jobs/<external_id>")
@with_token(write=False)
def get_job(session, _token, external_id):
    posting = find(session, external_id)
    if posting is None:
        return _not_found(external_id)
    views = session.scalar(select(func.count(JobView.id)).where(JobView.posting_id == posting.id))
    return jsonify(job=to_dict(posting) | {"views": views})


@ROUTES.patch("/jobs/<external_id>")
@with_token(write=True)
def patch_job(session, token, external_id):
    body = json_body()
    try:
        saved = save_posting(session, body, actor=f"api:{token.name}", external_id=external_id, partial=True,
                             knowledge_dir=services().settings.knowledge_dir)
    except PostingNotFound:
        return _not_found(external_id)
    except InvalidPosting as exc:
        return _invalid(exc)
    return jsonify(job=to_dict(saved.posting), outcome=saved.outcome, warnings=saved.warnings)


@ROUTES.delete("/jobs/<external_id>")
@with_token(write=True)
def delete_job(session, token, external_id):
    """Withdraw (kept for the record and the view statistics, never shown to residents again)."""
    try:
        posting = withdraw_posting(session, external_id, actor=f"api:{token.name}")
    except PostingNotFound:
        return _not_found(external_id)
    return jsonify(job=to_dict(posting), outcome="withdrawn")


@ROUTES.get("/job-views")
@with_token(write=False)
def job_views(session, _token):
    return jsonify(items=view_stats(session, include_closed=request.args.get("open") != "1"))
