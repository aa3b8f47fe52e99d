"""Event notices for residents (menu 活动通知), and WeChat's send-job reports (recorded silently)."""
from __future__ import annotations

import logging

from bot.engine.context import Ctx
from bot.db import LOCAL_TZ
from bot.cli.delivery import notices as notices_cli
from bot.outbox.notify import record_finish_event
from bot.engine.features import Feature
from bot.outbox.models import Notice
from bot.notices.reports import may_see, sent_to
from bot.notices.service import compose_text
from bot.wechat.reply import Reply
from bot.engine.router import handler

log = logging.getLogger(__name__)


def _label(notice: Notice) -> str:
    if notice.event_at:
        local = notice.event_at.astimezone(LOCAL_TZ)
        return f"{notice.title}（{local.month}月{local.day}日）"
    return notice.title


@handler(menu=("NOTICES",), keywords=("活动通知", "通知", "活动", "最新通知", "近期活动"))
def list_notices(ctx: Ctx) -> Reply | None:
    """The notices this resident was sent (any audience) and the public ones, newest first, numbered."""
    items = sent_to(ctx.session, ctx.openid, ctx.follower.town)
    if not items:
        text = "最近没有新的活动通知。\n有新活动时，我们会在公众号里通知您。\n" + ctx.local.way_out()
        return Reply(text=text, meta={"kind": "command", "route": "notices:none"})
    options = [[_label(n), f"notice:{n.id}"] for n in items]
    lines = ["最近的活动通知："] + [f"{i}. {label}" for i, (label, _a) in enumerate(options, 1)]
    lines.append("回复数字查看详情。")
    return Reply(text="\n".join(lines), options=options, meta={"kind": "command", "route": "notices:list"})


@handler(action="notice")
def notice_detail(ctx: Ctx) -> Reply | None:
    notice = ctx.session.get(Notice, int(ctx.action_arg)) if ctx.action_arg.isdigit() else None
    if notice is None or notice.status != "sent" or not may_see(ctx.session, notice, ctx.openid,
                                                                 ctx.follower.town):
        return Reply(text="这条通知已经撤回或过期了。\n回复“活动”看最新的通知。\n" + ctx.local.way_out(),
                     meta={"kind": "fallback", "route": "notices:gone"})
    return Reply(text=compose_text(notice), meta={"kind": "command", "route": "notices:detail"})


@handler(event="masssendjobfinish")
def mass_send_finished(ctx: Ctx) -> Reply | None:
    """WeChat's report of a mass send (counts, status): kept for the delivery report, no reply."""
    event = record_finish_event(ctx.session, ctx.msg.raw)
    log.info("mass send %s finished: %s (sent %s of %s)", event.msg_id, event.status, event.sent_count,
             event.total_count)
    return Reply(silent=True, meta={"kind": "command", "route": "notices:massfinish"})


@handler(event="templatesendjobfinish")
def template_send_finished(ctx: Ctx) -> Reply | None:
    """WeChat's report of one template message (success, blocked by the user, failed)."""
    record_finish_event(ctx.session, ctx.msg.raw, openid=ctx.openid)
    return Reply(silent=True, meta={"kind": "command", "route": "notices:templatefinish"})


FEATURE = Feature(
    name="notices",
    handlers=(list_notices, notice_detail, mass_send_finished, template_send_finished),
    cli=(notices_cli,), pages=("bot.admin.views.notices",),
)
