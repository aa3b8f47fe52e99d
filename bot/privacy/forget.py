"""“删除我的信息”: each feature declares how it forgets one WeChat user; registration runs them all.

forget_core() covers the tables every deployment has (message log, dedup, conversation, follower,
outbox, delivery reports). What stays on purpose, and why:
- follower: the openid with subscription flags and message times only — without it the account would
  treat the resident as a stranger (no 48-hour window, a lost "unsubscribed" mark).
- conversation_state: the row the current conversation runs in, emptied.
- the claim (inbound_seen) and message_log row of the message that asked for the deletion: written
  after it, they go with the normal retention; they hold no personal data.
- urgent_item (distress and complaints, bot/safety): handled items are deleted; an open one keeps the
  openid and category without the resident's words, so staff still reach a person who may be in danger.
- aid_loan (bot/aids): a device still lent out keeps its openid until staff mark it returned or damaged
  (the due reminders and the station must reach whoever has it); then it goes like the others.
- registration_failure rows of today (handled in bot/people/registration.py): otherwise deleting would
  reset the daily lockout on guessing ID numbers.
"""
from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.engine import features
from bot.models import AuditLog, ConversationState, Follower, InboundSeen, MessageLog, OutboxMessage
from bot.outbox.models import DeliveryEvent, NoticeRecipient
from bot.safety.staff import forget_resident as forget_urgent

FINISHED = ("sent", "failed", "cancelled")


def forget_everywhere(session: Session, openid: str) -> dict[str, int]:
    """Run every feature's forgetter (Feature.forgetters) in the caller's transaction; {label: rows}."""
    return {label: int(forget(session, openid) or 0) for label, forget in features.installed().forgetters}


def forget_core(session: Session, openid: str) -> dict[str, int]:
    """Remove this WeChat user from the core tables; {what: rows}. Runs in the caller's transaction."""
    messages = session.execute(delete(MessageLog).where(MessageLog.openid == openid)
                               .execution_options(synchronize_session=False)).rowcount
    # Claims of earlier messages (the current one is still "processing" and answers WeChat's retries).
    session.execute(delete(InboundSeen)
                    .where(InboundSeen.openid == openid, InboundSeen.status != "processing")
                    .execution_options(synchronize_session=False))
    # Which notices reached them ("活动" lists them): a notice's recipient count drops by one.
    session.execute(delete(NoticeRecipient).where(NoticeRecipient.openid == openid)
                    .execution_options(synchronize_session=False))
    session.execute(update(DeliveryEvent).where(DeliveryEvent.openid == openid).values(openid=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(AuditLog).where(AuditLog.actor == f"resident:{openid}").values(actor="resident")
                    .execution_options(synchronize_session=False))
    state = session.get(ConversationState, openid)
    if state is not None:
        state.data, state.options = {}, []
    follower = session.get(Follower, openid)
    if follower is not None:
        follower.town = follower.latitude = follower.longitude = follower.scene = None
    return {"messages": messages, "outbox": _forget_outbox(session, openid),
            "urgent": forget_urgent(session, openid)}


def _forget_outbox(session: Session, openid: str) -> int:
    """Unsent messages to this user are cancelled; every row to them keeps only its status (statistics)."""
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.openid == openid)).all()
    for row in rows:
        if row.status not in FINISHED:
            row.status = "cancelled"  # a dispatcher holding it loses its fenced update: nothing is sent
        # The dedupe key names the openid ("notice:3:o…"): keep it unique without it.
        row.openid, row.payload, row.dedupe_key, row.last_error = None, {}, f"forgotten:{row.id}", None
    for row in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "mass")):
        target = (row.payload or {}).get("target") or {}
        if openid in (target.get("openids") or []):  # a broadcast to a list of openids
            others = [o for o in target["openids"] if o != openid]
            row.payload = {**row.payload, "target": {**target, "openids": others}}
    return len(rows)
