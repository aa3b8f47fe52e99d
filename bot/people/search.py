"""Staff search over encrypted records: by exact name, whole number, or the masked number staff see.

Names are encrypted, so a name is found through a keyed hash of its folded form (exact names only, no
partial matches). A masked number ("3303**********1X42") is narrowed by its last 4 characters, stored
in clear because every mask shows them, then confirmed by decrypting the few candidates. Every search
is audited (record.search) with what kind of query it was, never the query itself.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select

from bot.privacy.audit import audit
from bot.people.models import CertRecord
from bot.people.validation import Invalid, clean, fold_name, parse_identity
from bot.devtools.demo_samples import is_sample
from bot.privacy.pii import decrypt, lookup_hash, mask_id, mask_name

log = logging.getLogger(__name__)
_MASKED = re.compile(r"(\d{4})\*+[0-9XB]{1,6}")


def name_hash(data_key: str, name: str) -> str:
    return lookup_hash(data_key, "name:" + fold_name(name))


def search_records(session, actor: str, query: str, *, data_key: str, limit: int = 50) -> list[dict]:
    """Masked rows matching a name, a whole ID/certificate number or a masked number; audited."""
    text = re.sub(r"\s+", "", clean(query)).upper()
    kind, rows = "empty", []
    if text:
        masked = _MASKED.fullmatch(text)
        if masked:
            kind, rows = "masked_number", _by_mask(session, data_key, text, masked.group(1), limit)
        elif re.fullmatch(r"[0-9X]{15,}B?\d*", text):
            kind = "number"
            try:
                id_hash = lookup_hash(data_key, parse_identity(text)[0])
            except Invalid:
                id_hash = None
            query_ = _base().where(CertRecord.id_hash == id_hash).limit(limit)
            rows = list(session.scalars(query_)) if id_hash else []
        else:
            kind = "name"
            rows = list(session.scalars(_base().where(CertRecord.name_hash == name_hash(data_key, query))
                                        .limit(limit)))
    audit(session, actor, "record.search", None, kind=kind, found=len(rows))
    return [_row(data_key, r) for r in rows]


def _base():
    return select(CertRecord).order_by(CertRecord.updated_at.desc(), CertRecord.id.desc())


def _by_mask(session, data_key: str, text: str, head: str, limit: int) -> list[CertRecord]:
    tail = text[-4:]
    column = CertRecord.id_tail if len(text) == 18 else CertRecord.cert_tail
    found = []
    for record in session.scalars(_base().where(column == tail).limit(500)):
        number = decrypt(data_key, record.id_enc if len(text) == 18 else record.cert_enc) or ""
        if number.startswith(head) and len(number) == len(text):
            found.append(record)
    return found[:limit]


def _row(data_key: str, record: CertRecord) -> dict:
    number = decrypt(data_key, record.cert_enc) or decrypt(data_key, record.id_enc)
    return {"id": record.id, "name_masked": mask_name(decrypt(data_key, record.name_enc)),
            "id_masked": mask_id(number), "business_type": record.business_type, "step": record.step,
            "step_date": record.step_date, "town": record.town, "updated_at": record.updated_at,
            "sample": is_sample(number)}
