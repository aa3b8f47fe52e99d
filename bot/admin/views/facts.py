"""Local facts (knowledge/local.yaml): phone numbers, addresses, amounts; unfilled ones stand out."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from bot.answers import knowledge
from bot.admin import facts_store, kb_store
from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, services, settings, tx
from bot.admin.forms import FactForm
from bot.admin.models import KnowledgeEdit
from bot.privacy.audit import audit
from bot.answers.local_facts import PLACEHOLDER
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register


def _used_by() -> dict[str, list[str]]:
    """fact key → titles of the entries whose answer refers to it."""
    used: dict[str, list[str]] = {}
    for entry in knowledge.bundle(services()).kb.entries.values():
        for key in {m.group(1) for m in PLACEHOLDER.finditer(entry.answer)}:
            used.setdefault(key, []).append(entry.title)
    return used


@ROUTES.get("/facts")
@login_required
def facts():
    only_empty = request.args.get("empty") == "1"
    items = facts_store.load_facts(settings().knowledge_dir)
    empty = sum(1 for f in items if not f["filled"])
    if only_empty:
        items = [f for f in items if not f["filled"]]
    used = _used_by()
    sections: dict[str, list[dict]] = {}
    for item in items:
        item["used_by"] = used.get(item["key"], [])
        sections.setdefault(item["section"] or "其他", []).append(item)
    return render_template("admin/facts.html", title="本地信息", sections=sections, empty=empty,
                           total=len(facts_store.load_facts(settings().knowledge_dir)), only_empty=only_empty)


@ROUTES.route("/facts/<key>", methods=["GET", "POST"])
@require("editor")
def facts_edit(key: str):
    folder = settings().knowledge_dir
    item = next((f for f in facts_store.load_facts(folder) if f["key"] == key), None)
    if item is None:
        abort(404)
    form = FactForm()
    if request.method == "GET":
        form.value.data = item["value"]
    elif form.validate_on_submit():
        value = (form.value.data or "").strip() or None
        try:
            with tx() as db:
                facts_store.write_value(folder, key, value)
                db.add(KnowledgeEdit(target=f"local:{key}", action="fact", actor=actor(),
                                     before={"value": item["value"] or None}, after={"value": value}))
                audit(db, actor(), "facts.edit", key, filled=value is not None)
        except kb_store.EditError as exc:
            flash(f"没有保存：{exc}", "error")
        else:
            flash(f"已保存“{item['label']}”。公众号几秒内按新内容答复。" if value
                  else f"已清空“{item['label']}”，答复里这一处会显示“待公布”。", "success")
            return redirect(url_for("admin.facts") + f"#fact-{key}")
    with reader() as db:
        edits = kb_store.history(db, f"local:{key}", limit=20)
    return render_template("admin/facts_edit.html", title=f"填写：{item['label']}", form=form, item=item,
                           edits=edits, used_by=_used_by().get(key, []))
