"""The one place certificate notifications leave through: bot.delivery.notify when installed.

bot.delivery (template messages, built by another engineer) reaches residents outside WeChat's 48-hour
customer-service window; until it exists, a plain customer-service text is queued instead. Either way
the row is written in the caller's transaction and deduplicated by its key.
"""
from __future__ import annotations

import importlib
import logging

from bot.outbox import enqueue_text

log = logging.getLogger(__name__)
KIND = "cert_status"  # knowledge/templates.yaml: fields item, status, updated, note


def _delivery_notify():
    try:
        module = importlib.import_module("bot.delivery")
    except ModuleNotFoundError as exc:
        if exc.name not in ("bot.delivery", "bot"):
            raise
        return None
    return getattr(module, "notify", None)


def send(session, openid: str, fields: dict, dedupe_key: str, text: str) -> None:
    notify = _delivery_notify()
    if notify is not None:
        notify(session, openid, KIND, fields, dedupe_key=dedupe_key, text_fallback=text, source="certs")
    else:
        enqueue_text(session, openid, text, dedupe_key=dedupe_key, source="certs")
    log.debug("queued %s for record step %s", KIND, dedupe_key.rsplit(":", 1)[0])
