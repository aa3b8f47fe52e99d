"""政策体检 rules (knowledge/entitlements.yaml) for staff: read them, and try one resident's situation."""
from __future__ import annotations

from flask import render_template, request
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from bot.entitle import rules as ent
from bot.answers import knowledge
from bot.admin.auth import require
from bot.admin.blueprint import services, settings
from bot.entitle.render import first_page, next_page
from bot.entitle.rules_check import check
from bot.web_routes import Routes

ROUTES = Routes()  # this module's pages, added by admin.register

LABELS = {"who": "给谁查", "cert": "残疾人证", "huji": "户口", "category": "残疾类别", "grade": "残疾等级",
          "age": "年龄", "household": "家庭", "situation": "现在的情况"}


class TryProfileForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: trying a situation changes nothing and stores nothing

    submit = SubmitField("看结果")


for _name, _values in ent.FIELDS.items():
    if _name != "who":
        default = ent.NONE if ent.NONE in _values and _name == "situation" else ent.UNKNOWN
        setattr(TryProfileForm, _name, SelectField(LABELS[_name], choices=list(_values), default=default))


def plain(cond: dict) -> str:
    """{'grade': ('一级', '二级')} → '残疾等级：一级或二级' for staff who do not read YAML."""
    return "；".join(f"{LABELS.get(k, k)}：{'或'.join(v)}" for k, v in cond.items()) or "（任何情况）"


def _rules_view(rules: ent.Rules) -> list[dict]:
    local = services().local_facts()
    entries = knowledge.bundle(services()).kb.entries
    return [{"rule": r, "entry": entries.get(r.opens), "local_value": local.get(r.local) if r.local else None,
             "cases": [{"if": plain(c.cond), "not": plain(c.exclude) if c.exclude else "",
                        "mark": ent.MARKS.get(c.mark, c.mark), "why": c.why} for c in r.cases]}
            for r in rules.rules]


@ROUTES.get("/entitlements")
@login_required
def entitle_rules():
    folder = settings().knowledge_dir
    rules = ent.load(folder)
    kb = knowledge.bundle(services())
    problems = check(folder, kb.kb.entries, kb.local.facts)
    cautions = [{"text": c.text, "when": plain(c.cond) if c.cond else "",
                 "shown": "、".join(r.name for r in rules.rules if r.id in (*c.shown, *c.any_shown)),
                 "source": c.source} for c in rules.cautions]
    return render_template("admin/entitle_rules.html", title="政策体检规则", rules=_rules_view(rules),
                           cautions=cautions, problems=problems)


def pages(hits, cautions, local) -> list[str]:
    """Every message the resident gets by answering "更多" until the list ends."""
    reply = first_page(hits, cautions, "您", local)
    texts = [reply.text]
    while (more := [o for o in reply.options or [] if o[0] == "更多"]) and len(texts) < 10:
        reply = next_page(hits, int(more[0][1].split(":", 1)[1].split("|")[0]), local)
        texts.append(reply.text)
    return texts


@ROUTES.get("/entitlements/try")
@require("editor")
def entitle_try():
    form = TryProfileForm(request.args)
    result = None
    if request.args and form.validate():
        profile = {name: getattr(form, name).data for name in ent.FIELDS if name != "who"}
        hits, cautions = ent.evaluate(ent.load(settings().knowledge_dir), profile)
        result = {"hits": hits, "cautions": cautions, "why": ent.why,
                  "pages": pages(hits, cautions, services().local_facts())}
    return render_template("admin/entitle_try.html", title="试一个情况", form=form, result=result)
