"""Outbound delivery: notify() for features, the outbox dispatcher for the scheduler, reports for staff.

    from bot.outbox.notify import notify
    notify(ctx.session, openid, "booking_confirm", {"item": "上门评残", "time": "12月3日上午",
           "place": "鳌江镇"}, dedupe_key=f"booking:{booking.id}:confirm",
           text_fallback="您的上门评残预约成功：\\n时间：12月3日上午\\n…")

Crash policy (bot.outbox.state): attempts are committed as 'sending' before the API calls (a wave of
at most `concurrency` rows at a time). After a crash, 'claimed' rows (call never started) go back to
pending; a 'sending' row is re-sent only when WeChat's own dedup covers the repeat (template
client_msg_id within 10 min, mass clientmsgid within a day → 45065 means it went out); otherwise —
customer-service messages always — it becomes 'unknown' and waits for staff (resolve_unknown: resend /
sent / drop, listed by delivery_report()["problems"]). No message is silently lost or doubled.
"""
import datetime as dt

from sqlalchemy.orm import Session

from bot.models import OutboxMessage
from bot.outbox.enqueue import enqueue
from bot.outbox.report import delivery_report, quota_today, record_finish_event, resolve_unknown

__all__ = ["notify", "delivery_report", "quota_today", "record_finish_event", "resolve_unknown"]


def notify(session: Session, openid: str, kind: str, fields: dict, dedupe_key: str, text_fallback: str, *,
           url: str | None = None, source: str | None = None,
           not_before: dt.datetime | None = None, owed: str | None = None,
           owed_ref: str | None = None) -> OutboxMessage:
    """Queue a notification for one resident, in the caller's transaction; the scheduler delivers it.

    - kind: a key of knowledge/templates.yaml (booking_confirm, booking_reminder, cert_status, job_digest,
      notice); fields: the values that template's mapping uses (see the comments there).
    - dedupe_key: unique per message, e.g. f"booking:{booking.id}:confirm" — calling notify() again with
      the same key (a retried request, a re-run tick) queues nothing new.
    - text_fallback: the complete message as plain text (short lines, Chinese), sent as a customer-service
      message when no template id is configured for the kind or the template is refused.

    Which channel is used is decided when the message is sent (so a template id added later applies to
    messages already queued): the template when configured, else the text — which WeChat only lets
    through within 48 hours of the resident's last message; otherwise it ends 'failed: window closed'.
    Unsubscribed residents are skipped. Nothing here calls WeChat: never inside a business transaction.

    - owed: set it for a message the resident must get (a booking change, a waitlist offer, a status
      change), e.g. "上门评残场次取消"; owed_ref names the record it is about ("booking:12"). If WeChat
      cannot deliver it, staff get a call task (bot.calls). Notices and digests are not owed.
    """
    payload = {"kind": kind, "fields": {k: "" if v is None else str(v) for k, v in (fields or {}).items()},
               "msgtype": "text", "text": {"content": text_fallback}}
    if url:
        payload["url"] = url
    marks = {"owed": owed[:60], "owed_ref": (owed_ref or "")[:40] or None} if owed else {}
    row = enqueue(session, channel="template", dedupe_key=dedupe_key, openid=openid, payload=payload,
                  source=source or kind, not_before=not_before, **marks)
    if owed and row.status == "pending":
        # bot.calls.tasks.settle() looks at these before commit (no channel → a call task at once).
        session.info.setdefault("owed_new", []).append(row.id)
    return row
