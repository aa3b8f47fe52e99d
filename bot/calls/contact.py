"""Who to phone for a call task: name and phone from the record it is about (decrypted for staff).

The booking or waitlist snapshot first (the phone the resident gave for the visit), else their
registration. Capabilities that are not installed are skipped.
"""
from __future__ import annotations

import importlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.calls.models import CallTask
from bot.pii import decrypt

_REFS = {"booking": ("bot.booking.models", "Booking"), "waitlist": ("bot.booking.models", "Waitlist"),
         "registration": ("bot.people.models", "Registration")}


def _model(kind: str):
    module, name = _REFS[kind]
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError:
        return None


def _record(session: Session, task: CallTask):
    kind, _, ident = (task.ref or "").partition(":")
    if kind in _REFS and ident.isdigit() and (model := _model(kind)) is not None:
        row = session.get(model, int(ident))
        if row is not None and row.phone_enc:
            return row
    reg = _model("registration")
    if reg is not None and task.openid:
        return session.scalar(select(reg).where(reg.openid == task.openid))
    return None


def contact(session: Session, data_key: str, task: CallTask) -> tuple[str, str]:
    """(name, phone), decrypted; empty strings when the resident deleted their data or never registered."""
    row = _record(session, task)
    if row is None:
        return "", ""
    return decrypt(data_key, row.name_enc) or "", decrypt(data_key, row.phone_enc) or ""
