"""What the settings page tells staff: which template messages are set, what is left of today's quotas."""
from __future__ import annotations

from bot.notices.schedule import quota_summary
from bot.outbox.config import load_config
from bot.outbox.report import quota_today

# Template kinds (knowledge/templates.yaml) in the words staff use; an unknown kind shows its key.
KIND_LABELS = {"booking_confirm": "预约成功通知", "booking_reminder": "上门评残提醒", "cert_status": "办证进度通知",
               "job_digest": "岗位订阅摘要", "notice": "活动通知（发给预约居民）"}


def templates(knowledge_dir: str) -> list[dict]:
    """One row per template kind: set or not, and what not set means for residents."""
    config = load_config(knowledge_dir)
    rows = []
    for kind, tpl in config.templates.items():
        rows.append({"kind": kind, "label": KIND_LABELS.get(kind, kind), "set": bool(tpl.template_id),
                     "meaning": "用模板消息发送，居民随时都能收到" if tpl.template_id else
                     "只能发给 48 小时内给公众号发过消息的居民，其他人变成电话任务"})
    return rows


def quotas(session, knowledge_dir: str) -> dict:
    """Mass sends left today (the scarce one: usually 1 a day) and today's other sends."""
    summary, today = quota_summary(session, knowledge_dir), quota_today(session, knowledge_dir)
    summary["low"] = summary["remaining"] == 0
    summary["used"] = today["used"]
    return summary
