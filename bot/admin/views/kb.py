"""Knowledge base pages: browse entries, edit one (with history), try a question, export to knowledge/."""
from __future__ import annotations

import difflib
import logging
import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from bot.admin import kb_store
from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, services, settings, tx
from bot.admin.forms import EntryForm, TryForm
from bot.admin.kb_why import explain_in_words
from bot.admin.models import KnowledgeEdit
from bot.answers import knowledge
from bot.privacy.audit import audit
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register
KIND_LABELS = {"answer": "政策答复", "referral": "转介其他部门", "smalltalk": "寒暄"}


def current_kb():
    return knowledge.bundle(services())


@ROUTES.get("/kb")
@login_required
def kb_list():
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or ""
    entries = sorted(current_kb().kb.entries.values(), key=lambda e: e.id)
    if kind in KIND_LABELS:
        entries = [e for e in entries if e.kind == kind]
    if q:
        entries = [e for e in entries if q in e.id or q in e.title or q in e.answer or any(q in s for s in e.questions)]
    return render_template("admin/kb_list.html", title="知识库", entries=entries, q=q, kind=kind,
                           kinds=KIND_LABELS, problems=current_kb().kb.problems)


@ROUTES.get("/kb/entry/<entry_id>")
@login_required
def kb_entry(entry_id: str):
    entry = current_kb().kb.get(entry_id)
    if entry is None:
        abort(404)
    with reader() as db:
        edits = kb_store.history(db, entry_id)
    return render_template("admin/kb_entry.html", title=entry.title, entry=entry, edits=edits,
                           kind_label=KIND_LABELS.get(entry.kind, entry.kind),
                           rendered=services().local_facts().render(entry.answer))


@ROUTES.route("/kb/entry/<entry_id>/edit", methods=["GET", "POST"])
@require("editor")
def kb_edit(entry_id: str):
    folder = settings().knowledge_dir
    try:
        data = kb_store.read_entry(folder, entry_id)
    except kb_store.EditError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.kb_list"))
    form = EntryForm()
    base = request.form.get("base") or kb_store.version_of(kb_store.entry_path(folder, entry_id))
    if request.method == "GET":
        form.title.data, form.answer.data = data.get("title", ""), str(data.get("answer", "")).rstrip()
        form.questions.data = "\n".join(str(q) for q in data.get("questions") or [])
        form.keywords.data = "，".join(str(k) for k in data.get("keywords") or [])
        form.source.data = data.get("source", "")
    elif form.validate_on_submit():
        changes = {"title": form.title.data.strip(), "answer": _clean_block(form.answer.data),
                   "questions": _lines(form.questions.data), "keywords": _words(form.keywords.data)}
        if form.source.data.strip() or "source" in data:
            changes["source"] = form.source.data.strip()
        try:
            with tx() as db:
                kb_store.save_entry(db, folder, entry_id, changes, actor(), base_version=base,
                                    question=form.note.data.strip() or None)
                audit(db, actor(), "kb.edit", entry_id, note=form.note.data.strip()[:200])
        except kb_store.EditError as exc:
            flash(f"没有保存：{exc}", "error")
        else:
            flash("已保存并写入知识库文件，公众号几秒内按新内容答复。", "success")
            return redirect(url_for("admin.kb_entry", entry_id=entry_id))
    return render_template("admin/kb_edit.html", title=f"修改：{data.get('title', entry_id)}", form=form,
                           entry_id=entry_id, base=base, facts=services().local_facts().facts)


@ROUTES.get("/kb/edit/<int:edit_id>")
@login_required
def kb_edit_view(edit_id: int):
    with reader() as db:
        edit = db.get(KnowledgeEdit, edit_id)
    if edit is None:
        abort(404)
    before = kb_store.to_yaml(edit.before or {}) if not edit.target.startswith("local:") else str(edit.before)
    after = kb_store.to_yaml(edit.after or {}) if not edit.target.startswith("local:") else str(edit.after)
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), "修改前", "修改后", lineterm="", n=2))
    return render_template("admin/kb_diff.html", title="修改记录", edit=edit, diff=diff)


@ROUTES.get("/kb/entry/<entry_id>/yaml")
@login_required
def kb_download(entry_id: str):
    try:
        data = kb_store.read_entry(settings().knowledge_dir, entry_id)
    except kb_store.EditError:
        abort(404)
    return Response(kb_store.to_yaml(data), mimetype="text/yaml; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={entry_id}.yaml"})


@ROUTES.post("/kb/export")
@require("admin")
def kb_export():
    """Rewrite knowledge/ on this host from the console's edit history (after a deploy or on a new host)."""
    with tx() as db:
        written = kb_store.export_all(db, settings().knowledge_dir)
        audit(db, actor(), "kb.export", None, files=len(written))
    flash(f"已导出 {len(written)} 个文件到 knowledge/。" if written else "knowledge/ 已是最新，不用导出。", "success")
    return redirect(url_for("admin.kb_list"))


@ROUTES.get("/kb/try")
@login_required
def kb_try():
    form = TryForm(request.args)
    result = None
    if request.args.get("q") and form.validate():
        result = try_question(form.q.data.strip())
    return render_template("admin/kb_try.html", title="试一试", form=form, result=result)


def try_question(question: str) -> dict:
    """The reply a resident would get and the matcher's explanation (policy handler when installed)."""
    bundle = current_kb()
    result = bundle.matcher.match(question)
    reply_text, meta = None, {}
    try:
        from handlers import policy  # why: handlers/ sits above bot/ (the composition root): run time only
        reply = policy.respond(question, bundle)
        reply_text, meta = reply.text, reply.meta or {}
    except Exception:  # noqa: BLE001 - the explanation below is still worth showing
        log.exception("policy.respond failed for a console trial")
    explain = result.explain()
    titles = {c.entry_id: c.title for c in result.candidates}
    tried = {"question": question, "decision": meta.get("kind") or result.decision, "score": result.score,
             "topic": meta.get("topic") or (result.top.entry_id if result.decision == "answer" else None),
             "offered": [c.entry_id for c in result.offered], "reply": reply_text, "explain": explain,
             "titles": titles, "normalized": result.normalized}
    tried["why"] = explain_in_words(tried)  # what a clerk reads; the numbers stay behind 技术细节
    return tried


def _lines(text: str) -> list[str]:
    seen, out = set(), []
    for line in (text or "").replace("\r", "").split("\n"):
        line = " ".join(line.split())
        if line and line not in seen:
            seen.add(line)
            out.append(line)
    return out


def _words(text: str) -> list[str]:
    return [w for w in dict.fromkeys(re.split(r"[,，、;；\s]+", text or "")) if w]


def _clean_block(text: str) -> str:
    lines = [line.rstrip() for line in (text or "").replace("\r", "").split("\n")]
    return "\n".join(lines).strip() + "\n"
