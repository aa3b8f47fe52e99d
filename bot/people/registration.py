"""Registration service: verify a resident against the registry, link up to 3 WeChat users, lockout.

Matching rule: the ID hash finds the resident's records; the name must match, and when the registry
holds a phone, the last 4 digits of the phone given must match one of its phones (and a certificate
number typed must match the registry's). A mismatch is answered exactly like "no record yet": the
registration is saved unlinked, so a stranger who knows someone's ID number cannot learn whether that
person has a certificate. Mismatches and bad check digits count towards the daily lockout.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select, update

from bot.calendar_cn import day_start
from bot.privacy.forget import forget_core, forget_everywhere
from bot.privacy.audit import audit
from bot.db import request_checkpoint, utcnow
from bot.models import Follower
from bot.people.models import (MAX_FAILURES_PER_DAY, MAX_LINKED_USERS, CertRecord, Registration,
                               RegistrationFailure)
from bot.people.validation import same_name
from bot.privacy.pii import decrypt, encrypt, lookup_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    """What the resident typed, in plain text (held in memory only for the final step)."""

    relation: str
    name: str
    id_number: str
    cert_number: str | None
    phone: str
    town: str | None


# Hot-path statements built once: building and cache-keying them cost more than running them.
_FAILURES = select(func.count()).select_from(RegistrationFailure).where(
    RegistrationFailure.openid == bindparam("openid"), RegistrationFailure.created_at >= bindparam("since"))
_CURRENT = select(Registration).where(Registration.openid == bindparam("openid"))


def failures_today(session, openid: str) -> int:
    return session.scalar(_FAILURES, {"openid": openid, "since": day_start()}) or 0


def is_locked(session, openid: str) -> bool:
    return failures_today(session, openid) >= MAX_FAILURES_PER_DAY


def record_failure(session, openid: str, reason: str) -> bool:
    """Count one failed identity check; True when this one reached the daily limit."""
    session.add(RegistrationFailure(openid=openid, reason=reason))
    session.flush()
    count = failures_today(session, openid)
    if count == MAX_FAILURES_PER_DAY:
        log.warning("registration locked for today after %d failed checks", count)
    return count >= MAX_FAILURES_PER_DAY


def details_match(records, data_key: str, name: str, phone: str, cert_number: str | None = None) -> bool:
    if not records or not any(same_name(decrypt(data_key, r.name_enc), name) for r in records):
        return False
    phones = {p[-4:] for r in records for p in (decrypt(data_key, r.phone_enc) or "").split(",") if p}
    if phones and phone[-4:] not in phones:
        return False
    certs = {decrypt(data_key, r.cert_enc)[:20] for r in records if r.cert_enc}
    return not (cert_number and certs and cert_number[:20] not in certs)


def linked_count(session, id_hash: str, except_openid: str | None = None) -> int:
    query = select(func.count()).select_from(Registration).where(
        Registration.id_hash == id_hash, Registration.linked_at.is_not(None))
    if except_openid:
        query = query.where(Registration.openid != except_openid)
    return session.scalar(query) or 0


def submit(session, data_key: str, openid: str, draft: Draft) -> str:
    """Save the registration; returns 'linked', 'unlinked', 'full' (4th user) or 'locked'."""
    if is_locked(session, openid):
        return "locked"
    id_hash = lookup_hash(data_key, draft.id_number)
    # Lock the resident's records so two family members registering at once cannot both take slot 3.
    records = session.scalars(select(CertRecord).where(CertRecord.id_hash == id_hash).with_for_update()).all()
    matched = details_match(records, data_key, draft.name, draft.phone, draft.cert_number)
    if records and not matched:
        record_failure(session, openid, "mismatch")
    if matched and linked_count(session, id_hash, except_openid=openid) >= MAX_LINKED_USERS:
        return "full"
    reg = current(session, openid) or Registration(openid=openid)
    reg.relation, reg.id_hash, reg.town = draft.relation, id_hash, draft.town
    reg.id_enc = encrypt(data_key, draft.id_number)
    reg.cert_enc = encrypt(data_key, draft.cert_number)
    reg.name_enc, reg.phone_enc = encrypt(data_key, draft.name), encrypt(data_key, draft.phone)
    reg.linked_at = utcnow() if matched else None
    session.add(reg)
    follower = session.get(Follower, openid)
    if follower is not None and draft.town:
        follower.town = draft.town  # notices are addressed by town
    session.flush()
    return "linked" if matched else "unlinked"


def current(session, openid: str) -> Registration | None:
    return session.scalar(_CURRENT, {"openid": openid})


def linked_records(session, reg: Registration | None) -> list[CertRecord]:
    if reg is None or reg.linked_at is None:
        return []
    return list(session.scalars(select(CertRecord).where(CertRecord.id_hash == reg.id_hash)))


def unbind(session, openid: str) -> Registration | None:
    """Remove this WeChat user's binding only; the registry and family members' bindings stay."""
    reg = current(session, openid)
    if reg is not None:
        session.delete(reg)
        audit(session, "resident", "registration.unbind", f"registration:{reg.id}", relation=reg.relation)
    return reg


def delete_my_data(session, openid: str) -> dict:
    """Delete what the account holds about this resident; an audit entry without personal data stays.

    The resident themself (本人) also removes family members' bindings to them. Registry records are
    the federation's official files and are not deleted here.
    """
    reg = current(session, openid)
    removed = {"registration": 0, "family": 0, "failures": 0}
    if reg is not None:
        if reg.relation == "本人":
            removed["family"] = session.execute(delete(Registration).where(
                Registration.id_hash == reg.id_hash, Registration.openid != openid)).rowcount
        session.delete(reg)
        removed["registration"] = 1
    # Today's failed checks stay (they hold no personal data): deleting must not reset the lockout.
    removed["failures"] = session.execute(delete(RegistrationFailure).where(
        RegistrationFailure.openid == openid, RegistrationFailure.created_at < day_start())).rowcount
    elsewhere = forget_everywhere(session, openid)  # bookings, job subscriptions, … (may queue a message)
    removed.update(forget_core(session, openid))  # message log, outbox, conversation, follower, …
    removed["elsewhere"] = elsewhere
    audit(session, "resident", "registration.delete", f"registration:{reg.id}" if reg else None,
          **{k: v for k, v in removed.items() if k != "elsewhere"}, elsewhere=sum(elsewhere.values()))
    request_checkpoint(session)
    return removed


def link_pending(session, data_key: str, records_by_hash: dict[str, list[CertRecord]]) -> list[Registration]:
    """After an import: link unlinked registrations whose details now match (oldest first, up to 3)."""
    if not records_by_hash:
        return []
    waiting = session.scalars(select(Registration).where(
        Registration.id_hash.in_(list(records_by_hash)), Registration.linked_at.is_(None))
        .order_by(Registration.created_at)).all()
    linked = []
    for reg in waiting:
        records = records_by_hash[reg.id_hash]
        if details_match(records, data_key, decrypt(data_key, reg.name_enc) or "",
                         decrypt(data_key, reg.phone_enc) or "", decrypt(data_key, reg.cert_enc)) \
                and linked_count(session, reg.id_hash) < MAX_LINKED_USERS:
            reg.linked_at = utcnow()
            session.flush()
            linked.append(reg)
    return linked


__all__ = ["Draft", "submit", "unbind", "delete_my_data", "is_locked", "record_failure", "current",
           "linked_records", "link_pending"]
