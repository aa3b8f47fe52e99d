"""紧急求助: urgent items (distress, complaints) with a banner on every console page until each is handled."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from bot.admin.auth import actor, require
from bot.admin.blueprint import reader, settings, tx
from bot.models import Follower, MessageLog
from bot.people.api import registered_person
from bot.privacy.audit import audit
from bot.privacy.pii import mask_name, mask_phone
from bot.safety import staff as urgent
from bot.safety.detect import labels
from bot.safety.models import UrgentItem
from bot.web_routes import Routes

log = logging.getLogger(__name__)
ROUTES = Routes()  # this module's pages, added by admin.register


class HandleForm(FlaskForm):
    note = TextAreaField("做了什么（必填，例如：已电话联系本人，已请村干部上门，已报警）",
                         validators=[DataRequired("请写明做了什么"), Length(max=1000)], render_kw={"rows": 3})
    submit = SubmitField("标记为已处理")


def item_context(session, item: UrgentItem, actor: str, data_key: str, full: bool) -> dict:
    """The resident behind an item: registration (phone in full only when `full`), last location,
    recent messages. Audited, since staff see personal data here."""
    person = registered_person(session, data_key, item.openid)
    follower = session.get(Follower, item.openid)
    messages = session.scalars(select(MessageLog).where(MessageLog.openid == item.openid).order_by(
        MessageLog.id.desc()).limit(10)).all()
    audit(session, actor, "urgent.view", f"urgent:{item.id}", phone_shown=bool(person and full))
    who = None
    if person is not None:
        who = {"name": person.name if full else mask_name(person.name), "relation": person.relation,
               "town": person.town or "", "phone": person.phone if full else mask_phone(person.phone)}
    where = None
    if follower is not None and follower.latitude is not None:
        where = f"{follower.latitude:.5f}, {follower.longitude:.5f}"
    return {"person": who, "location": where, "messages": list(reversed(messages))}


def category_labels() -> dict[str, str]:
    return {**urgent.CATEGORY_LABELS, **labels(settings().knowledge_dir)}


@ROUTES.context_processor
def urgent_banner():
    """Open counts for the banner base.html includes on every page (signed-in staff only)."""
    if not current_user.is_authenticated:
        return {}
    try:
        with reader() as db:
            return {"urgent_open": urgent.open_counts(db)}
    except Exception:  # noqa: BLE001 - the banner must never take a page down
        log.exception("urgent banner count failed")
        return {}


@ROUTES.get("/urgent")
@login_required
def urgent_list():
    with reader() as db:
        open_items, handled = urgent.list_items(db)
    return render_template("admin/urgent_list.html", title="紧急求助", open_items=open_items, handled=handled,
                           labels=category_labels())


@ROUTES.route("/urgent/<int:item_id>", methods=["GET", "POST"])
@login_required
def urgent_detail(item_id: int):
    form = HandleForm()
    if form.is_submitted():
        if not current_user.can("editor"):
            abort(403)
        if form.validate():
            try:
                with tx() as db:
                    urgent.mark_handled(db, item_id, actor(), form.note.data)
            except LookupError:
                abort(404)
            except urgent.NotHandled as exc:
                flash(str(exc), "error")
            else:
                flash("已标记为已处理。", "success")
                return redirect(url_for("admin.urgent_list"))
    with tx() as db:  # viewing writes an audit row
        item = db.get(UrgentItem, item_id)
        if item is None:
            abort(404)
        context = item_context(db, item, actor(), settings().data_key, full=current_user.can("editor"))
    return render_template("admin/urgent_detail.html", title=f"紧急求助 {item.id}", item=item, form=form,
                           labels=category_labels(), **context)
