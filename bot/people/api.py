"""What other features use: the registered person, inline registration, audiences, staff record views.

Person.relation is "本人" or "家属（配偶）" / "家属（子女）" / "家属（父母）" / "家属（其他）", so both
`relation == "本人"` and `relation.startswith("家属")` work.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot.config import Settings
from bot.people.flow import start_registration as _start_registration
from bot.people.models import CertRecord, Registration
from bot.people.registration import linked_records
from bot.people.search import search_records  # noqa: F401 - the console's search (audited)
from bot.people.status import newest_first
from bot.privacy.audit import audit
from bot.privacy.pii import decrypt, encrypt, mask_id
from bot.wechat.reply import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    registration_id: int
    openid: str
    name: str
    id_masked: str
    phone: str  # decrypted, for staff route sheets
    town: str | None
    address: str | None  # may be None
    disability_category: int | None  # 1–7 from the linked registry record, else None
    relation: str  # 本人 / 家属（配偶|子女|父母|其他）
    # Same for every WeChat user linked to one resident (booking's "one active booking per resident");
    # None until the registry confirmed the person, so a stranger's unlinked registration shares nothing.
    person_key: str | None = None
    # The person by ID number whether or not the registry confirmed them (booking: one active visit
    # per person across WeChat users). Never shown to anyone; it only compares equal.
    identity_key: str | None = None


def registered_person(session, data_key: str, openid: str) -> Person | None:
    """The resident this WeChat user registered, or None (linked to the registry or not)."""
    reg = session.scalar(select(Registration).where(Registration.openid == openid))
    if reg is None:
        return None
    records = newest_first(linked_records(session, reg))
    category = next((r.category for r in records if r.category), None)
    return Person(registration_id=reg.id, openid=reg.openid, name=decrypt(data_key, reg.name_enc) or "",
                  id_masked=mask_id(decrypt(data_key, reg.id_enc)),
                  phone=decrypt(data_key, reg.phone_enc) or "",
                  town=reg.town, address=decrypt(data_key, reg.address_enc), disability_category=category,
                  relation=reg.relation, person_key=_person_key(reg), identity_key=_identity_key(reg))


def _person_key(reg: Registration) -> str | None:
    if reg.linked_at is None:
        return None
    return _identity_key(reg)


def _identity_key(reg: Registration) -> str:
    # Same formula as bot.booking.identity.key_of and migration 0012's backfill.
    return hashlib.sha256(f"person:{reg.id_hash}".encode()).hexdigest()[:24]


def start_registration(ctx, then: str | None = None) -> Reply:
    """Begin the registration chat; on success with `then` (a menu key), continue with that menu's
    handler and prepend "注册成功…" to its reply (booking offers registration inline this way)."""
    return _start_registration(ctx, then)


def registered_openids(session) -> list[str]:
    """Every WeChat user with a registration (the "registered" notice audience)."""
    return list(session.scalars(select(Registration.openid).order_by(Registration.openid)))


def set_address(session, data_key: str, openid: str, address: str | None) -> bool:
    """Store the home address (booking asks for it); False when the user is not registered."""
    reg = session.scalar(select(Registration).where(Registration.openid == openid))
    if reg is None:
        return False
    reg.address_enc = encrypt(data_key, (address or "").strip() or None)
    return True


def view_record(session, actor: str, record_id: int, data_key: str | None = None) -> dict | None:
    """The decrypted registry record for the staff console; every call is audited (record.view).

    data_key: pass settings.data_key; None reads DATA_KEY from the environment (CLI use).
    """
    record = session.get(CertRecord, record_id)
    audit(session, actor, "record.view", f"cert_record:{record_id}", found=record is not None)
    if record is None:
        return None
    if data_key is None:
        data_key = Settings.from_env().data_key
    linked = session.scalars(select(Registration.relation).where(
        Registration.id_hash == record.id_hash, Registration.linked_at.is_not(None))).all()
    return {
        "id": record.id, "name": decrypt(data_key, record.name_enc),
        "id_number": decrypt(data_key, record.id_enc),
        "cert_number": decrypt(data_key, record.cert_enc), "phone": decrypt(data_key, record.phone_enc),
        "category": record.category, "grade": record.grade, "business_type": record.business_type,
        "step": record.step, "step_date": record.step_date, "return_reason": record.return_reason,
        "issued_on": record.issued_on, "valid_until": record.valid_until, "town": record.town,
        "linked_users": list(linked), "updated_at": record.updated_at,
    }


__all__ = ["Person", "registered_person", "start_registration", "registered_openids", "set_address",
           "search_records", "view_record"]
