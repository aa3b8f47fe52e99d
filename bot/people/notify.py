"""The one place certificate notifications leave through: bot.outbox.notify.notify.

A template message (when one is configured) reaches residents outside WeChat's 48-hour window; the
row is written in the caller's transaction and deduplicated by its key.
"""
from __future__ import annotations

import logging

from bot.outbox.notify import notify

log = logging.getLogger(__name__)
KIND = "cert_status"  # knowledge/templates.yaml: fields item, status, updated, note
OWED = "残疾人证办理进度变化"  # owed: a call task when WeChat cannot deliver it (bot.calls)


def send(session, openid: str, fields: dict, dedupe_key: str, text: str) -> None:
    # Owed: a resident waiting for the certificate must hear each step, by phone if WeChat cannot.
    notify(session, openid, KIND, fields, dedupe_key=dedupe_key, text_fallback=text, source="certs",
           owed=OWED)
    log.debug("queued %s for record step %s", KIND, dedupe_key.rsplit(":", 1)[0])
