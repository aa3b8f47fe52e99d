"""The first check on every text: a person in distress gets the right numbers at once; staff get an item."""
from __future__ import annotations

import datetime as dt
import logging
import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answers.normalize import compact
from bot.db import utcnow
from bot.outbox.notify import notify
from bot.privacy.pii import scrub
from bot.safety.detect import Hit, detector
from bot.safety.models import UrgentItem
from bot.wechat.reply import Reply

log = logging.getLogger(__name__)

SAME_ITEM_WITHIN = dt.timedelta(hours=1)  # later messages of one person and category join the open item
MAX_TEXT = 4000
CONTACT = "县残联工作人员会尽快联系您。"
# Short lines for screen readers; the last line (a person, the office phone) is added per reply.
REPLIES = {
    "self_harm": ["您说的话我们收到了，您不是一个人。",
                  "请现在就拨打心理援助热线 12356，和人说说话。",
                  "如果已经有危险，请马上拨打 110 或 120。", CONTACT],
    "violence": ["您说的情况我们收到了，您的安全最要紧。",
                 "正在危险中，请马上拨打 110 报警；受了伤请拨打 120。",
                 "妇联维权热线 12338 也可以帮您。", CONTACT],
    "medical": ["请马上拨打 120 急救电话，说清楚地址和人的情况。",
                "有危险请拨打 110。", CONTACT],
    "danger": ["别着急，请马上拨打 110 报警。",
               "自己迷路了，就告诉警察身边能看到的路名、店名。",
               "受了伤或身体不舒服，请拨打 120。", CONTACT],
}
# A message that only resembles distress keeps its ordinary answer, with this one line on top.
POSSIBLE = {
    "self_harm": "如果您有轻生的念头，请拨打心理援助热线 12356；有危险请拨打 110 或 120。",
    "violence": "如果您正在受到伤害，请拨打 110；妇联维权热线 12338。",
    "medical": "如果有人急病或摔伤，请马上拨打 120。",
    "danger": "如果您迷路或遇到危险，请马上拨打 110。",
}
COMPLAINT_INTRO = "收到您的意见，给您添麻烦了，对不起。\n已记下来交给工作人员处理。\n"
ALERT_OPENIDS_ENV = "STAFF_ALERT_OPENIDS"  # comma-separated staff openids told of each new urgent item


def respond(ctx, skip: frozenset[str] | set[str] = frozenset()) -> Reply | None:
    """A reply when the message is distress or a complaint (and an urgent item for staff), else None.

    `skip`: whole messages left to the dispatcher (the ordinary "0"/"人工" hand-over is not listed).
    """
    if not ctx.text or compact(ctx.text) in skip:
        return None
    hit = detector(ctx.settings.knowledge_dir).detect(ctx.text)
    if hit is None:
        return None
    if not hit.certain:  # listed for staff to look at, the resident still gets the answer asked for
        record(ctx.session, ctx.openid, hit, ctx.text, priority=2)
        ctx.notes.append(POSSIBLE.get(hit.category, POSSIBLE["danger"]))
        return None
    item, new = record(ctx.session, ctx.openid, hit, ctx.text)
    if new and hit.priority == 1:
        alert_staff(ctx.session, item, hit)
    ctx.end_flow()  # a person in crisis is not sent back into a form; old numbered picks are void
    ctx.state.options = []
    log.warning("urgent item %s (%s) for %s", item.id, hit.category, ctx.openid[:8])
    meta = {"route": f"urgent:{hit.category}", "kind": "urgent", "topic": hit.category,
            "explain": {"urgent_item": item.id, "matched": hit.matched}}
    if hit.category == "complaint":
        # why: handlers/ is the composition root above bot/; the human hand-over is the menu's
        from handlers.menu import hand_over
        reply = hand_over(ctx, COMPLAINT_INTRO)
        reply.meta.update(meta)
        return reply
    lines = REPLIES.get(hit.category, REPLIES["danger"]) + [ctx.local.way_out()]
    return Reply(text="\n".join(lines), meta=meta)


def record(session: Session, openid: str, hit: Hit, text: str, priority: int | None = None
           ) -> tuple[UrgentItem, bool]:
    """The open item of this person and category from the last hour (message appended), or a new one."""
    now = utcnow()
    line = scrub(" ".join(text.split()))[:500]
    item = session.scalar(select(UrgentItem).where(
        UrgentItem.openid == openid, UrgentItem.category == hit.category, UrgentItem.handled_at.is_(None),
        UrgentItem.last_at >= now - SAME_ITEM_WITHIN).order_by(UrgentItem.id.desc()).limit(1))
    if item is not None:
        item.count += 1
        item.last_at = now
        item.text = (item.text + "\n" + line)[-MAX_TEXT:]
        return item, False
    item = UrgentItem(openid=openid, category=hit.category, priority=priority or hit.priority,
                      matched=hit.matched,
                      text=line, count=1, created_at=now, last_at=now)
    session.add(item)
    session.flush()
    return item, True


def alert_openids() -> list[str]:
    return [o.strip() for o in os.environ.get(ALERT_OPENIDS_ENV, "").split(",") if o.strip()]


def alert_staff(session: Session, item: UrgentItem, hit: Hit) -> int:
    """Queue a short WeChat alert to each staff openid; no words or numbers of the resident in it."""
    text = f"【紧急求助】有居民需要帮助（{hit.label}），编号 {item.id}。\n请尽快登录后台“紧急求助”页面处理。"
    sent = 0
    for staff_openid in alert_openids():
        notify(session, staff_openid, "urgent_alert", {"item": hit.label, "number": item.id},
               dedupe_key=f"urgent:{item.id}:alert:{staff_openid}", text_fallback=text,
               source=f"urgent:{item.id}")
        sent += 1
    return sent
