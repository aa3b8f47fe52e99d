"""Who to phone for a call task: name and phone from the record it is about (decrypted for staff).

The booking or waitlist snapshot first (the phone the resident gave for the visit), else their
registration.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.models import Booking, Waitlist
from bot.calls.models import CallTask
from bot.people.models import Registration
from bot.privacy.pii import decrypt

_REFS = {"booking": Booking, "waitlist": Waitlist, "registration": Registration}


def _record(session: Session, task: CallTask):
    kind, _, ident = (task.ref or "").partition(":")
    if kind in _REFS and ident.isdigit():
        row = session.get(_REFS[kind], int(ident))
        if row is not None and row.phone_enc:
            return row
    if task.openid:
        return session.scalar(select(Registration).where(Registration.openid == task.openid))
    return None


def contact(session: Session, data_key: str, task: CallTask) -> tuple[str, str]:
    """(name, phone), decrypted; empty strings when the resident deleted their data or never registered."""
    row = _record(session, task)
    if row is None:
        return "", ""
    return decrypt(data_key, row.name_enc) or "", decrypt(data_key, row.phone_enc) or ""
