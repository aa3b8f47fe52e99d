"""Unanswered questions and residents' numbered picks, turned into sample questions in two clicks."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from bot.admin import kb_store, stats
from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, settings, tx
from bot.admin.forms import SampleForm, SelectChoice
from bot.admin.models import KnowledgeEdit
from bot.admin.views.kb import current_kb
from bot.models import MessageLog
from bot.answers.normalize import compact
from bot.privacy.pii import scrub
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register


def _known_and_dismissed(db) -> set[str]:
    """Questions to hide: already a sample question somewhere, or dismissed by staff."""
    known = {_key(q) for e in current_kb().kb.entries.values() for q in e.questions}
    known |= {_key(q) for q in db.scalars(select(KnowledgeEdit.question).where(
        KnowledgeEdit.action == "dismiss"))}
    return known


def _key(text: str) -> str:
    """Compare questions as residents meant them: spacing, case and ID/phone numbers do not count."""
    return compact(scrub(text or ""))


@ROUTES.get("/unanswered")
@login_required
def unanswered():
    days = request.args.get("days", 30, type=int)
    days = days if days in (7, 30, 90) else 30
    with reader() as db:
        hidden = _known_and_dismissed(db)
        rows = [u for u in stats.unanswered(db, days=days) if _key(u["text"]) not in hidden]
        picks = [p for p in stats.picks(db, days=days) if _key(p["text"]) not in hidden]
    titles = {e.id: e.title for e in current_kb().kb.entries.values()}
    for row in rows + picks:
        row["shown"] = scrub(row["text"])  # residents sometimes type ID or phone numbers
    return render_template("admin/unanswered.html", title="未答问题", rows=rows, picks=picks, days=days,
                           titles=titles)


@ROUTES.route("/unanswered/add", methods=["GET", "POST"])
@require("editor")
def unanswered_add():
    form = SampleForm()
    log_id = request.values.get("log_id", type=int)
    with reader() as db:
        row = db.get(MessageLog, log_id) if log_id else None
    if row is None or not row.text:
        abort(404)
    entries = sorted(current_kb().kb.entries.values(), key=lambda e: e.id)
    suggested = [c for c in stats.candidates_of(row.detail) if current_kb().kb.get(c)]
    if not suggested:  # old log rows without an explanation: ask the matcher now
        suggested = [c.entry_id for c in current_kb().matcher.match(row.text).candidates[:3]]
    wanted = request.args.get("entry_id")
    if wanted and current_kb().kb.get(wanted):
        suggested = [wanted] + [s for s in suggested if s != wanted]
    labels = {e.id: f"{e.title}（{e.id}）" for e in entries if e.kind != "smalltalk"}
    top = [c for c in suggested if c in labels]
    form.entry_id.choices = ([SelectChoice(c, labels[c], optgroup="匹配程序推荐") for c in top]
                             + [SelectChoice(c, label, optgroup="全部条目" if top else None)
                                for c, label in labels.items()])
    if request.method == "GET":
        form.question.data = scrub(" ".join(row.text.split()))
        form.entry_id.data = top[0] if top else None
        form.log_id.data = str(row.id)
    elif form.validate_on_submit():
        try:
            with tx() as db:
                added = kb_store.add_question(db, settings().knowledge_dir, form.entry_id.data,
                                              form.question.data, actor())
        except kb_store.EditError as exc:
            flash(f"没有加上：{exc}", "error")
        else:
            title = current_kb().kb.get(form.entry_id.data).title
            flash(f"已把“{scrub(form.question.data)}”加为“{title}”的示例问题。" if added
                  else f"“{title}”里已经有这个问题了。", "success")
            return redirect(url_for("admin.unanswered"))
    return render_template("admin/unanswered_add.html", title="加为示例问题", form=form, row=row)


@ROUTES.post("/unanswered/dismiss")
@require("editor")
def unanswered_dismiss():
    """Hide a question that needs no entry (chit-chat, a personal case for the phone line)."""
    with tx() as db:
        row = db.get(MessageLog, request.form.get("log_id", type=int) or 0)
        if row is None or not row.text:
            abort(404)
        # Stored masked: the history must not become a second copy of residents' ID numbers.
        db.add(KnowledgeEdit(target="unanswered", action="dismiss", question=scrub(" ".join(row.text.split()))[:500],
                             actor=actor()))
    flash("已忽略这个问题。", "success")
    return redirect(url_for("admin.unanswered", days=request.form.get("days", 30)))
